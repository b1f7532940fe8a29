// `npm run demo` (or `driftgate demo` from a checkout): the main job, end to end, on this machine.
// Runs the narrated demo (scripts/demo/run.ts); everything stays up until Ctrl-C (or `--exit`).
import { runDemo, type Demo } from './run.js';

const exitAtEnd = process.argv.includes('--exit') || process.env.DRIFTGATE_DEMO_EXIT === '1';
let demo: Demo | undefined;
const shutdown = async (code: number): Promise<void> => {
  console.log('\nstopping driftgate, the Git server and the control plane…');
  await demo?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
try {
  demo = await runDemo((line) => console.log(line));
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).message}`);
  process.exit(1);
}
if (exitAtEnd) {
  console.log('\ndemo complete.');
  await shutdown(0);
} else {
  console.log('\ndemo complete. Everything stays up: press Ctrl-C to stop and clean up.');
  setInterval(() => undefined, 1 << 30);
}
