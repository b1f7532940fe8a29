import t from 'tap';
import { pino } from 'pino';
import { buildBundle } from '../../../policies/engine/build.js';
import { loadBundle, wellFormedJson } from '../../../policies/engine/bundle.js';
import { EvalPool, type EvalPoolOptions } from '../../../policies/engine/pool/pool.js';
import { policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';
import { waitFor } from '../../support/processes.js';

// The evaluation pool on real worker threads with real bundles (opa build -t wasm).
const rule = (extra: string) => `package driftgate.test.slow

import rego.v1

deny contains "slow" if {
	input.slow
	some a in input.xs
	some b in input.xs
	a > b
	b > a
}
${extra}`;
const dir = policyDir({ 'test/slow/policy.rego': rule('') });
t.teardown(dir.cleanup);
const opaPath = toolPath('opa');
const first = await loadBundle(await buildBundle(dir.dir, { opaPath, revision: 'r1' }));
const second = await loadBundle(await buildBundle(dir.dir, { opaPath, revision: 'r2' }));

/** One worker, a 400 ms deadline, a small heap: runaways are cheap to provoke. */
const onePool = (o: Partial<EvalPoolOptions> = {}) =>
  new EvalPool({
    size: 1,
    timeoutMs: 400,
    maxQueue: 1,
    heapMb: 24,
    logger: pino({ level: 'silent' }),
    ...o,
  });

const restarts: string[] = [];
const pool = onePool({ onRestart: (r) => restarts.push(r) });
t.teardown(() => pool.close());

t.test('nothing loaded: unavailable, not ready', async (t) => {
  t.equal(pool.healthy, false);
  t.same(await pool.evaluate(wellFormedJson({})), {
    kind: 'unavailable',
    reason: 'no policy bundle loaded',
  });
});

t.test('a load during a runaway evaluation completes once the worker is replaced', async (t) => {
  await pool.load(first);
  t.equal(pool.healthy, true);
  const xs = Array.from({ length: 10_000 }, (_, i) => i);
  const runaway = pool.evaluate(wellFormedJson({ slow: true, xs }));
  // The single worker is busy and the queue holds one: the next is refused as overloaded.
  const queued = pool.evaluate(wellFormedJson({}));
  t.same(await pool.evaluate(wellFormedJson({})), { kind: 'overloaded' });
  const loading = pool.load(second);
  t.same(await runaway, { kind: 'timeout' });
  t.same(await queued, { kind: 'timeout' }, 'what waited behind it missed the deadline too');
  await loading;
  t.same(restarts, ['timeout']);
  // The replacement worker starts and loads the live bundle (slow on a busy machine).
  await waitFor('the replacement worker to load', async () => pool.healthy, 30_000, 20);
  const after = await pool.evaluate(wellFormedJson({}));
  t.match(after, { kind: 'ok', revision: 'r2' }, 'the replacement serves the new bundle');
  t.same(after.kind === 'ok' ? after.outcomes.map((o) => o.ok) : [], [true]);
});

t.test(
  'a background evaluation queued behind a runaway one waits for the replacement',
  async (t) => {
    const bg = onePool({ maxQueue: 4 });
    t.teardown(() => bg.close());
    await bg.load(first);
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const runaway = bg.evaluate(wellFormedJson({ slow: true, xs }));
    const queued = bg.evaluate(wellFormedJson({}), { background: true });
    t.same(await runaway, { kind: 'timeout' });
    // Its deadline starts when a worker takes it: the replacement's start is not held against it.
    t.match(await queued, { kind: 'ok', revision: 'r1' });
  },
);
