// A sync over the in-memory cluster with hooks: a Job "completes" (or fails, by name) when the
// fake stores it; a Deployment is ready unless `ready` says not. For the hook tests.
import { pino } from 'pino';
import type { K8sObject } from '../../reconciler/model/objects.js';
import { ReconcilerMetrics } from '../../reconciler/metrics.js';
import { SourceReconciler } from '../../reconciler/source-reconciler.js';
import { FakeCluster, sourceConfig } from './fake-cluster.js';
import { FakeGit } from './fake-git.js';

export const obj = (
  kind: string,
  name: string,
  annotations: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): K8sObject => ({
  apiVersion: kind === 'Job' ? 'batch/v1' : kind === 'Deployment' ? 'apps/v1' : 'v1',
  kind,
  metadata: { ...(name.endsWith('-') ? { generateName: name } : { name }), annotations } as never,
  ...extra,
});

export type Live = Record<string, unknown>;
const complete = (o: Live, fail: ReadonlySet<string>): Live => {
  const m = o.metadata as { name: string; generateName?: string };
  const failed = fail.has(m.name) || fail.has(m.generateName ?? '');
  return {
    ...o,
    status: { conditions: [{ type: failed ? 'Failed' : 'Complete', status: 'True' }] },
  };
};

export function setup(
  opts: { fail?: string[]; ready?: () => boolean; onProgress?: () => void } = {},
) {
  const git = new FakeGit();
  const cluster = new FakeCluster();
  const fail = new Set(opts.fail ?? []);
  cluster.onApply = (o) => {
    if (o.kind === 'Job') return complete(o, fail);
    if (o.kind !== 'Deployment') return o;
    const n = opts.ready?.() === false ? 0 : 1;
    return { ...o, status: { replicas: 1, updatedReplicas: 1, availableReplicas: n } };
  };
  let clock = 1_000_000;
  const rec = new SourceReconciler(
    sourceConfig({ path: 'app' }),
    git as never,
    {
      verify: async () => ({ ok: true, kind: 'ssh', signer: 'sam@example.com' }),
    } as never,
    {
      cluster,
      metrics: new ReconcilerMetrics({ defaultMetrics: false }),
      logger: pino({ level: 'silent' }),
      tools: { kustomizePath: 'kustomize', helmPath: 'helm' },
      namespace: 'driftgate-system',
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    },
  );
  const writes = () =>
    cluster.calls
      .filter((c) => c.op === 'apply' || c.op === 'create' || c.op === 'delete')
      .map((c) => `${c.op} ${c.what.split('/').slice(1).join('/')}`);
  return { git, cluster, rec, writes };
}
