// npm run bench:control-plane — how long the real test control plane takes to start (median of
// 5), bare (etcd + kube-apiserver + identities) and with workloads (+ controller-manager,
// scheduler, kwok node Ready).
import { startControlPlane } from '../test/support/control-plane.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

for (const workloads of [false, true]) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const cp = await startControlPlane({ workloads });
    times.push(performance.now() - t0);
    await cp.stop();
  }
  const label = workloads ? 'with workloads (kwok node Ready)' : 'etcd + kube-apiserver';
  console.log(
    `${label.padEnd(34)} median ${(median(times) / 1000).toFixed(2)} s  runs: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')}`,
  );
}
