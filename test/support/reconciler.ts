import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseReconcilerConfig } from '../../reconciler/config/parse.js';
import { startReconciler, type ReconcilerHandle } from '../../reconciler/main.js';
import type { SourceReconciler } from '../../reconciler/source-reconciler.js';
import type { TrustConfig } from '../../reconciler/verify/verifier.js';
import { DRIFTGATE_NAMESPACE, type ControlPlane } from './control-plane.js';
import type { Signer } from './signing.js';
import { toolPath } from './tools.js';

export interface TestReconciler {
  readonly handle: ReconcilerHandle;
  source(name: string): SourceReconciler;
  sync(name: string): Promise<void>;
  metrics(): Promise<string>;
  status(name: string): Promise<Record<string, unknown>>;
  /** GET a route with the control token (`/status`, `/audit`). */
  get(path: string): Promise<Response>;
  /** POST a control route (`/sources/<n>/suspend`, `/audit`…) with the control token. */
  control(path: string): Promise<Response>;
  readonly url: string;
  /** The reconciler's control token, in a file (`driftgate status --token-file`). */
  readonly tokenFile: string;
  stop(): Promise<void>;
}

/** Trust material for one signer, in the reconciler's source config form. */
export function trustOf(s: Signer, identities: readonly string[] = [s.email]): TrustConfig {
  if (s.kind === 'ssh')
    return { sshAllowedSigners: `${identities.join(',')} namespaces="git" ${s.publicKey}\n` };
  if (s.kind === 'openpgp') return { openpgp: [{ publicKey: s.publicKey, identities }] };
  return { x509: { cas: [s.caPem ?? ''], identities } };
}

/**
 * The reconciler in-process, as the reconciler ServiceAccount (a real token), with intervals off:
 * tests call sync() and watch-driven self-heal runs on its own.
 */
export async function startTestReconciler(
  cp: ControlPlane,
  sources: readonly Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  opts: { readonly autoStart?: boolean } = {},
): Promise<TestReconciler> {
  const cache = mkdtempSync(join(tmpdir(), 'dg-reconciler-'));
  const controlToken = randomBytes(16).toString('hex');
  writeFileSync(join(cache, 'control-token'), `${controlToken}\n`);
  const cfg = parseReconcilerConfig({
    namespace: DRIFTGATE_NAMESPACE,
    cacheDir: cache,
    host: '127.0.0.1',
    statusPort: 0,
    metricsPort: 0,
    kustomizePath: toolPath('kustomize'),
    helmPath: toolPath('helm'),
    controlTokenFile: join(cache, 'control-token'),
    sources: sources.map((s) => ({ interval: '1h', ...s })),
    ...extra,
  });
  const handle = await startReconciler(cfg, {
    kubeConfig: cp.kubeConfig('reconciler'),
    logger: pino({ level: process.env.DG_LOG ?? 'silent' }),
    defaultMetrics: false,
    autoStart: opts.autoStart ?? false,
  });
  const base = `http://127.0.0.1:${handle.port}`;
  return {
    handle,
    url: base,
    tokenFile: join(cache, 'control-token'),
    source(name) {
      const s = handle.runtime.source(name);
      if (!s) throw new Error(`no source ${name}`);
      return s;
    },
    sync: (name) => handle.runtime.reconcileNow(name),
    get: (path) =>
      fetch(`${base}${path}`, { headers: { authorization: `Bearer ${controlToken}` } }),
    control: (path) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${controlToken}` },
      }),
    metrics: async () => (await fetch(`http://127.0.0.1:${handle.metricsPort}/metrics`)).text(),
    status: async (name) =>
      (await (
        await fetch(`${base}/status/${name}`, {
          headers: { authorization: `Bearer ${controlToken}` },
        })
      ).json()) as Record<string, unknown>,
    async stop() {
      await handle.close();
      rmSync(cache, { recursive: true, force: true });
    },
  };
}

export const configMap = (
  name: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(Object.keys(annotations).length ? { annotations } : {}) },
    data,
  }) + '\n';

/** The sum of a counter's series for one source, in a Prometheus text exposition. */
export const sourceCount = (metrics: string, name: string, source: string): number =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`source="${source}"`))
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);

/** A config-file source `name` applying `path` of `repoURL` into namespace `name`, signed by `s`. */
export const signedSource = (
  name: string,
  repoURL: string,
  s: Signer,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  name,
  repoURL,
  ref: 'main',
  path: 'apps',
  destinationNamespace: name,
  createNamespace: true,
  verification: { mode: 'head', ...trustOf(s) },
  ...extra,
});
