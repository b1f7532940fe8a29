// npm run test:fuzz: the long webhook fuzz run (issue 9). Prints the counts; exits 1 on any crash
// or wrong answer. Flags: --cases N (100000), --seed N (1), --concurrency N (8).
import { runFuzz } from './fuzz.js';
import { serveWebhook } from './served.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const cases = arg('--cases', 100_000);
const wh = await serveWebhook({}, undefined, true);
const started = Date.now();
const report = await runFuzz(wh, {
  cases,
  seed: arg('--seed', 1),
  concurrency: arg('--concurrency', 8),
});
const alive = wh.alive();
const peak = alive ? wh.peakRssMiB() : NaN;
await wh.stop();
console.log(
  [
    `cases ${report.sent} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `known-answer ${report.knownAnswers}, malformed (want 400) ${report.badRequests}, hostile-valid ${report.reviews}`,
    `crashes ${report.crashes}, wrong answers ${report.wrong}, webhook alive at the end: ${alive}`,
    `peak RSS ${peak.toFixed(0)} MiB (chart limit 320 MiB)`,
    ...report.examples.map((e) => `  e.g. ${e}`),
  ].join('\n'),
);
process.exit(report.crashes === 0 && report.wrong === 0 && alive ? 0 : 1);
