// The same admission workload for every peer: concurrent clients creating Pods through the real
// apiserver (dry-run=server: admitted or denied, never stored), a good Pod and three bad ones in
// turn; latency end to end, verdicts per variant, and the apiserver's own webhook histogram.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
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

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** End-to-end latency of each request in ms, sorted. */
  readonly latencies: readonly number[];
  /** Per variant: how many were allowed and how many denied. */
  readonly verdicts: Record<Variant, { allowed: number; denied: number }>;
  readonly errors: readonly string[];
}

/** `clients` concurrent loops for `seconds`, each creating Pods (dry-run) in turn of VARIANTS. */
export async function runLoad(
  kc: KubeConfig,
  namespace: string,
  clients: number,
  seconds: number,
): Promise<LoadResult> {
  const api = kc.makeApiClient(CoreV1Api);
  const latencies: number[] = [];
  const errors: string[] = [];
  const verdicts = Object.fromEntries(
    VARIANTS.map((v) => [v, { allowed: 0, denied: 0 }]),
  ) as Record<Variant, { allowed: number; denied: number }>;
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const client = async (): Promise<void> => {
    while (Date.now() < until) {
      const i = n++;
      const variant = VARIANTS[i % VARIANTS.length] ?? 'good';
      const t0 = performance.now();
      try {
        await api.createNamespacedPod({ namespace, body: pod(variant, i), dryRun: 'All' });
        verdicts[variant].allowed++;
      } catch (err) {
        const e = err as { code?: number; body?: string };
        if (e.code === 403 && String(e.body).includes('denied the request'))
          verdicts[variant].denied++;
        else errors.push(`${variant}: ${String(e.code)} ${String(e.body ?? err).slice(0, 200)}`);
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
