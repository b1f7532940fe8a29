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
}

export interface SyncBench {
  readonly kubectl: Kubectl;
  readonly objects: number;
  readonly steadySeconds: number;
  /** How long a change may take before it counts as never applied. */
  readonly waitSeconds: number;
  /** Commit `cm-2` with data.v set to `value` and push. */
  commitValue(value: string): Promise<void>;
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
    b.waitSeconds * 1000,
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
  const cpu0 = p.pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
  await new Promise((r) => setTimeout(r, b.steadySeconds * 1000));
  const cpu = p.pids().reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0;
  const rss = p.pids().reduce((s, pid) => s + memoryMiB(pid).rss, 0);

  await b.kubectl(['patch', 'configmap', 'cm-0', '-n', ns, '-p', '{"data":{"v":"manual"}}']);
  const drift = await until(b, ns, 'cm-0', '0', performance.now());
  console.log(`${p.label}: manual change reverted after ${drift.toFixed(1)} s`);

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
  return { peer: p.label, firstSync, cpu, rss, drift, commitPolled, commitTriggered };
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
        secs(r.drift, b.waitSeconds),
      ]
        .map((c) => c.padStart(15))
        .join(
          ' ',
        )} ${secs(r.commitPolled, b.waitSeconds).padStart(14)} ${secs(r.commitTriggered, b.waitSeconds).padStart(10)}`,
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
