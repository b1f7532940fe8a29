// The same admission workload for every peer: concurrent clients sending, in turn, a Pod CREATE, a
// Deployment CREATE and a Deployment UPDATE through the real apiserver (dry-run=server: admitted
// or denied, never stored), each as a good object and three bad ones; latency end to end,
// verdicts per variant, and the apiserver's own webhook histogram.
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import type { ControlPlane } from '../../test/support/control-plane.js';

export const VARIANTS = ['good', 'latest-tag', 'privileged', 'host-path'] as const;
export type Variant = (typeof VARIANTS)[number];

export function pod(variant: Variant, i: number): V1Pod {
  const container = {
    name: 'app',
    image: variant === 'latest-tag' ? 'registry.example/app:latest' : 'registry.example/app:1.4.2',
    ...(variant === 'privileged' ? { securityContext: { privileged: true } } : {}),
    ...(variant === 'host-path' ? { volumeMounts: [{ name: 'h', mountPath: '/h' }] } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, labels: { app: 'bench' } },
    spec: {
      containers: [container],
      ...(variant === 'host-path' ? { volumes: [{ name: 'h', hostPath: { path: '/etc' } }] } : {}),
    },
  };
}

/** The Deployment every UPDATE replaces (created, good, before the load; replicas 0). */
export const UPDATED = 'd-existing';

/**
 * Whether a peer should deny this request. The Gatekeeper library's privileged-containers and
 * host-filesystem templates skip every UPDATE (`not is_update(input.review)`: the field is
 * immutable on a Pod), and with an ExpansionTemplate that skip covers a Deployment's template
 * too: Gatekeeper allows an UPDATE that makes a Deployment privileged or mount a host path,
 * driftgate denies it. Every other verdict must agree.
 */
export function shouldDeny(
  peer: 'gatekeeper' | 'driftgate' | 'driftgate-gatekeeper',
  op: Operation,
  v: Variant,
): boolean {
  if (v === 'good') return false;
  // driftgate running the Gatekeeper templates: Pod constraints judge Pods only (no expansion).
  if (peer === 'driftgate-gatekeeper') return op === 'pod create';
  const psp = v === 'privileged' || v === 'host-path';
  return !(peer === 'gatekeeper' && op === 'deployment update' && psp);
}

export function deployment(variant: Variant, name: string): V1Deployment {
  const p = pod(variant, 0);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'bench' } },
      template: { metadata: { labels: { app: 'bench' } }, spec: p.spec },
    },
  };
}

export const OPERATIONS = ['pod create', 'deployment create', 'deployment update'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Send request `i` of the workload: operation i mod 3, variant ⌊i/3⌋ mod 4. */
export function sender(kc: KubeConfig, namespace: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  return (i: number): { variant: Variant; op: Operation; send: () => Promise<unknown> } => {
    const op = OPERATIONS[i % OPERATIONS.length] ?? 'pod create';
    const variant = VARIANTS[Math.floor(i / OPERATIONS.length) % VARIANTS.length] ?? 'good';
    const dryRun = 'All';
    const send =
      op === 'pod create'
        ? () => core.createNamespacedPod({ namespace, body: pod(variant, i), dryRun })
        : op === 'deployment create'
          ? () =>
              apps.createNamespacedDeployment({
                namespace,
                body: deployment(variant, `d-${i}`),
                dryRun,
              })
          : () =>
              apps.replaceNamespacedDeployment({
                name: UPDATED,
                namespace,
                body: deployment(variant, UPDATED),
                dryRun,
              });
    return { variant, op, send };
  };
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** End-to-end latency of each request in ms, sorted. */
  readonly latencies: readonly number[];
  /** Per variant: how many were allowed and how many denied. */
  /** Per operation and variant (`deployment update/privileged`): allowed and denied. */
  readonly verdicts: Record<string, { allowed: number; denied: number }>;
  readonly errors: readonly string[];
}

/** `clients` concurrent loops for `seconds`, each sending the workload's requests in turn. */
export async function runLoad(
  kc: KubeConfig,
  namespace: string,
  clients: number,
  seconds: number,
): Promise<LoadResult> {
  const next = sender(kc, namespace);
  const latencies: number[] = [];
  const errors: string[] = [];
  const verdicts: Record<string, { allowed: number; denied: number }> = {};
  const tally = (op: Operation, variant: Variant) =>
    (verdicts[`${op}/${variant}`] ??= { allowed: 0, denied: 0 });
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const client = async (): Promise<void> => {
    while (Date.now() < until) {
      const { variant, op, send } = next(n++);
      const t0 = performance.now();
      try {
        await send();
        tally(op, variant).allowed++;
      } catch (err) {
        const e = err as { code?: number; body?: string };
        if (e.code === 403 && String(e.body).includes('denied the request'))
          tally(op, variant).denied++;
        else
          errors.push(`${op} ${variant}: ${String(e.code)} ${String(e.body ?? err).slice(0, 200)}`);
      }
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  return {
    requests: n,
    seconds: (performance.now() - start) / 1000,
    latencies: latencies.sort((a, b) => a - b),
    verdicts,
    errors,
  };
}

export const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * The apiserver's apiserver_admission_webhook_admission_duration_seconds for one webhook name:
 * cumulative bucket counts (le → count) summed over operations and verdicts.
 */
export async function webhookHistogram(
  cp: ControlPlane,
  name: string,
): Promise<Map<number, number>> {
  const r = await cp.kubectl(['get', '--raw', '/metrics']);
  const buckets = new Map<number, number>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_admission_duration_seconds_bucket{'))
      continue;
    if (!line.includes(`name="${name}"`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1] ?? '';
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/**
 * Quantile q of the observations between two scrapes (after - before), interpolated linearly
 * inside its bucket as Prometheus' histogram_quantile() does; in seconds.
 */
export function histogramQuantile(
  after: Map<number, number>,
  before: Map<number, number>,
  q: number,
): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = (b: number) => (after.get(b) ?? 0) - (before.get(b) ?? 0);
  const rank = q * count(Infinity);
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const c = count(bound);
    if (c >= rank) {
      if (bound === Infinity) return lower;
      return lower + (bound - lower) * ((rank - below) / Math.max(1, c - below));
    }
    lower = bound;
    below = c;
  }
  return NaN;
}
