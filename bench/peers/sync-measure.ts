// What bench:sync-peers measures of one GitOps system, the same way for each: first sync, steady
// CPU and RSS, how long a manual change stays, and how long a new commit takes to land, polled
// and triggered the way the system's push webhook would.
import { waitFor } from '../../test/support/processes.js';
import { cpuSeconds, memoryMiB } from './proc.js';

type Kubectl = (args: string[], input?: string) => Promise<string>;

export interface SyncRow {
  peer: string;
  firstSync: number;
  cpu: number;
  rss: number;
  /** Seconds until a manual change was reverted; Infinity: not within the wait. */
  drift: number;
  /** Over `driftSamples` manual changes (when more than one): p50 and p99, in seconds. */
  driftP50?: number;
  driftP99?: number;
  /** Seconds from a pushed commit to the object applied, with no trigger. */
  commitPolled: number;
  /** Same, with the trigger the system's push webhook pulls. */
  commitTriggered: number;
}

export interface SyncPeer {
  readonly label: string;
  readonly namespace: string;
  /** The processes that make up the system (CPU and RSS are summed). */
  pids(): number[];
  /** What the system's push webhook does when told of a push. */
  trigger(): Promise<void>;
  /** Manual changes timed (each on another ConfigMap), polled over the API. @default 1 */
  readonly driftSamples?: number;
}

export interface SyncBench {
  readonly kubectl: Kubectl;
  readonly objects: number;
  readonly steadySeconds: number;
  /** Waited after the first sync before steady state is measured. */
  readonly settleSeconds: number;
  /** How long the first sync may take before the bench gives up on the system. */
  readonly waitSeconds: number;
  /** How long a manual change or a commit may take before it counts as never applied. */
  readonly changeWaitSeconds: number;
  /** Commit `cm-2` with data.v set to `value` and push. */
  commitValue(value: string): Promise<void>;
  /** A ConfigMap's data.v and a merge patch of it, over the API (no kubectl per poll). */
  readonly api: {
    value(ns: string, name: string): Promise<string | undefined>;
    setValue(ns: string, name: string, v: string): Promise<void>;
  };
}

/** p50 and p99 of many manual changes, each to another ConfigMap, polled every 2 ms. */
async function driftLatencies(b: SyncBench, ns: string, samples: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Even indexes are ConfigMaps; cm-2 is the commit's.
    const name = `cm-${(4 + i * 2) % b.objects}`;
    await b.api.setValue(ns, name, 'manual');
    const t0 = performance.now();
    await waitFor(
      'revert',
      async () => (await b.api.value(ns, name)) !== 'manual',
      b.changeWaitSeconds * 1000,
      2,
    ).catch(() => lat.push(Infinity));
    if (lat.length === i) lat.push((performance.now() - t0) / 1000);
  }
  return lat.sort((x, y) => x - y);
}

const NOT_WITHIN = Infinity;

async function count(b: SyncBench, ns: string): Promise<number> {
  const names = (await b.kubectl(['get', 'configmaps,deployments', '-n', ns, '-o', 'name'])).split(
    '\n',
  );
  return names.filter((l) => l.startsWith('configmap/cm-') || l.startsWith('deployment.apps/'))
    .length;
}

const valueOf = (b: SyncBench, ns: string, name: string): Promise<string> =>
  b.kubectl(['get', 'configmap', name, '-n', ns, '-o', 'jsonpath={.data.v}']);

/** Seconds until `cm` in `ns` has data.v = `want`, from `t0`; Infinity past the wait. */
async function until(b: SyncBench, ns: string, cm: string, want: string, t0: number) {
  const ok = await waitFor(
    `${cm}.data.v = ${want} in ${ns}`,
    async () => (await valueOf(b, ns, cm).catch(() => '')) === want,
    b.changeWaitSeconds * 1000,
    250,
  ).then(
    () => true,
    () => false,
  );
  return ok ? (performance.now() - t0) / 1000 : NOT_WITHIN;
}

/** Every figure of one system, which is running and was handed the repository at `t0`. */
export async function measureSync(b: SyncBench, p: SyncPeer, t0: number): Promise<SyncRow> {
  const ns = p.namespace;
  await waitFor(
    `${p.label}: ${b.objects} objects in ${ns}`,
    async () => (await count(b, ns)) === b.objects,
    b.waitSeconds * 1000,
    500,
  );
  const firstSync = (performance.now() - t0) / 1000;
  console.log(`${p.label}: first sync of ${b.objects} objects in ${firstSync.toFixed(1)} s`);
  // Steady state begins once the first sync's tail (statuses, inventories, garbage) is over:
  // one interval after the last object appeared, for every system alike.
  await new Promise((r) => setTimeout(r, b.settleSeconds * 1000));
  const cpu0 = p.pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
  await new Promise((r) => setTimeout(r, b.steadySeconds * 1000));
  const cpu = p.pids().reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0;
  const rss = p.pids().reduce((s, pid) => s + memoryMiB(pid).rss, 0);

  await b.kubectl(['patch', 'configmap', 'cm-0', '-n', ns, '-p', '{"data":{"v":"manual"}}']);
  const drift = await until(b, ns, 'cm-0', '0', performance.now());
  console.log(`${p.label}: manual change reverted after ${drift.toFixed(1)} s`);
  const many = (p.driftSamples ?? 1) > 1 ? await driftLatencies(b, ns, p.driftSamples ?? 1) : [];
  const pct = (q: number) => many[Math.min(many.length - 1, Math.floor((q / 100) * many.length))];
  const driftP50 = pct(50);
  const driftP99 = pct(99);
  if (driftP50 !== undefined && driftP99 !== undefined)
    console.log(
      `${p.label}: ${many.length} manual changes reverted, p50 ${(driftP50 * 1000).toFixed(0)} ms, p99 ${(driftP99 * 1000).toFixed(0)} ms`,
    );

  const tag = `${ns}-${Date.now()}`;
  await b.commitValue(`${tag}-polled`);
  const commitPolled = await until(b, ns, 'cm-2', `${tag}-polled`, performance.now());
  await b.commitValue(`${tag}-triggered`);
  const c0 = performance.now();
  await p.trigger();
  const commitTriggered = await until(b, ns, 'cm-2', `${tag}-triggered`, c0);
  console.log(
    `${p.label}: commit applied after ${commitPolled.toFixed(1)} s polled, ${commitTriggered.toFixed(1)} s triggered`,
  );
  return {
    peer: p.label,
    firstSync,
    cpu,
    rss,
    drift,
    ...(driftP50 !== undefined && driftP99 !== undefined ? { driftP50, driftP99 } : {}),
    commitPolled,
    commitTriggered,
  };
}

const secs = (s: number, wait: number): string =>
  Number.isFinite(s) ? `${s.toFixed(1)} s` : `> ${wait} s`;

/** The side-by-side table, with each figure's ratio to driftgate's (the last row). */
export function printSyncTable(rows: readonly SyncRow[], b: SyncBench, intervalS: number): void {
  console.log(
    `\nsync of one Git repository, ${b.objects} objects (half ConfigMaps, half Deployments), interval ${intervalS} s for all, one control plane`,
  );
  const head = ['first sync', `CPU ${b.steadySeconds} s idle`, 'RSS MiB', 'drift reverted'];
  console.log(
    `${'system'.padEnd(44)} ${head.map((h) => h.padStart(15)).join(' ')} ${'commit polled'.padStart(14)} ${'triggered'.padStart(10)}`,
  );
  for (const r of rows)
    console.log(
      `${r.peer.padEnd(44)} ${[
        secs(r.firstSync, b.waitSeconds),
        `${r.cpu.toFixed(1)} s`,
        String(r.rss),
        secs(r.drift, b.changeWaitSeconds),
      ]
        .map((c) => c.padStart(15))
        .join(
          ' ',
        )} ${secs(r.commitPolled, b.changeWaitSeconds).padStart(14)} ${secs(r.commitTriggered, b.changeWaitSeconds).padStart(10)}`,
    );
  for (const r of rows)
    if (r.driftP50 !== undefined && r.driftP99 !== undefined)
      console.log(
        `${r.peer}: manual changes reverted p50 ${(r.driftP50 * 1000).toFixed(0)} ms, p99 ${(r.driftP99 * 1000).toFixed(0)} ms (target p99 ≤ 1,000 ms)`,
      );
  const dg = rows.at(-1);
  if (!dg) return;
  for (const r of rows.slice(0, -1)) {
    const x = (a: number, d: number) => (Number.isFinite(a) ? `${(a / d).toFixed(1)}×` : '∞');
    console.log(
      `${r.peer} ÷ driftgate: first sync ${x(r.firstSync, dg.firstSync)}, CPU ${x(r.cpu, dg.cpu)}, RSS ${x(r.rss, dg.rss)}, drift ${x(r.drift, dg.drift)}, commit polled ${x(r.commitPolled, dg.commitPolled)}, triggered ${x(r.commitTriggered, dg.commitTriggered)}`,
    );
  }
}
