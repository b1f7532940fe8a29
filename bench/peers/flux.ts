// Flux's source-controller and kustomize-controller (built by `npm run tools -- peers`) outside a
// cluster, as their own development docs run them: KUBECONFIG, their CRDs, leader election off,
// source-controller serving artifacts on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from '../../test/support/control-plane.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/processes.js';
import { readVersions } from '../../test/support/tools.js';
import { peerBin } from '../support.js';

export interface Flux {
  readonly version: string;
  readonly source: ChildProcess;
  readonly kustomize: ChildProcess;
  stop(): void;
}

const binDir = (): string => peerBin('flux', 'FLUX_VERSION', 'kustomize-controller', 'Flux');

async function must(cp: ControlPlane, args: string[]): Promise<string> {
  const r = await cp.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function startFlux(cp: ControlPlane, dir: string): Promise<Flux> {
  const bin = binDir();
  for (const crd of readdirSync(join(bin, 'crds')))
    await must(cp, ['apply', '--server-side', '-f', join(bin, 'crds', crd)]);
  await must(cp, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  await must(cp, ['create', 'namespace', 'flux-system']);
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const env = {
    ...process.env,
    KUBECONFIG: cp.kubeconfigs.admin,
    RUNTIME_NAMESPACE: 'flux-system',
  };
  const log = (name: string) => openSync(join(dir, `${name}.log`), 'a');
  const start = async (name: string, args: string[]) => {
    const health = await freePort();
    const child = spawn(
      join(bin, name),
      [
        ...args,
        `--metrics-addr=127.0.0.1:${await freePort()}`,
        `--health-addr=127.0.0.1:${health}`,
        '--enable-leader-election=false',
        '--log-level=error',
      ],
      { env, stdio: ['ignore', log(name), log(name)] },
    );
    await waitFor(
      `${name} /readyz (log: ${join(dir, `${name}.log`)})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}`);
        return (await fetch(`http://127.0.0.1:${health}/readyz`)).ok;
      },
      60_000,
      250,
    );
    return child;
  };
  const storage = await freePort();
  const source = await start('source-controller', [
    `--storage-path=${join(dir, 'storage')}`,
    `--storage-addr=127.0.0.1:${storage}`,
    `--storage-adv-addr=127.0.0.1:${storage}`,
  ]);
  const kustomize = await start('kustomize-controller', []);
  return {
    version: readVersions().FLUX_VERSION ?? '',
    source,
    kustomize,
    stop() {
      source.kill('SIGKILL');
      kustomize.kill('SIGKILL');
    },
  };
}
