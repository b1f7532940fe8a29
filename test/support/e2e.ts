// The shared preamble of the GitOps e2e suites: a scratch directory, a real control plane, a
// real Git server and an SSH signer, each torn down when the test file ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';
import { startGitServer, type GitServer, type GitServerOptions } from './git-server.js';
import { createSshSigner, type Signer } from './signing.js';

export interface GitOpsFixture {
  readonly dir: string;
  readonly cp: ControlPlane;
  readonly git: GitServer;
  /** A trusted SSH signer (its key is in `trustOf(signer)`). */
  readonly signer: Signer;
}

export interface FixtureOptions {
  readonly controlPlane?: ControlPlaneOptions;
  readonly git?: GitServerOptions;
  /** The signer's name and email. @default Sam Ops <sam@example.com> */
  readonly signer?: readonly [string, string];
}

/** Start the fixture for the file `t` runs; everything stops when `t` ends. */
export async function gitOpsFixture(t: Test, o: FixtureOptions = {}): Promise<GitOpsFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'dg-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cp = await startControlPlane(o.controlPlane);
  t.teardown(() => cp.stop());
  const git = await startGitServer(o.git);
  t.teardown(() => git.stop());
  const [name, email] = o.signer ?? ['Sam Ops', 'sam@example.com'];
  const signer = await createSshSigner(join(dir, 'ssh'), name, email);
  return { dir, cp, git, signer };
}

/** An Ingress manifest routing `host` to Service web:80 (JSON, one line). */
export const ingress = (namespace: string, name: string, host: string): string =>
  JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace },
    spec: {
      rules: [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  }) + '\n';
