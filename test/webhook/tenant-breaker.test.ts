import t from 'tap';
import type { EngineAnswer } from '../../policies/engine/pool/pool.js';
import { TenantBreaker } from '../../webhook/tenant-breaker.js';

// A tenant's runaway policies suspended after one missed deadline (issue 26 finding 5).
const ok: EngineAnswer = { kind: 'ok', revision: 'r', outcomes: [] };
const timeout: EngineAnswer = { kind: 'timeout' };

t.test('a missed deadline suspends the live tenants and judges again without them', async (t) => {
  let now = 1_000;
  const breaker = new TenantBreaker(() => now, 60_000);
  const runs: (readonly string[])[] = [];
  const slowWithA = (skip: readonly string[]) => {
    runs.push(skip);
    return Promise.resolve(skip.includes('a') ? ok : timeout);
  };
  t.same(await breaker.judge(['a', 'b'], slowWithA), {
    answer: ok,
    skipped: ['a', 'b'],
    tripped: ['a', 'b'],
  });
  t.same(runs, [[], ['a', 'b']]);
  t.same(breaker.suspended(['a', 'b', 'c']), ['a', 'b']);
  now += 59_999;
  t.same(await breaker.judge(['a'], slowWithA), { answer: ok, skipped: ['a'], tripped: [] });
  now += 1;
  t.same(breaker.suspended(['a', 'b']), [], 'lifted after the suspension');
});

t.test('no tenant live, or no timeout: one evaluation, nothing tripped', async (t) => {
  const breaker = new TenantBreaker(() => 0);
  let runs = 0;
  const answer = (a: EngineAnswer) => () => {
    runs++;
    return Promise.resolve(a);
  };
  t.same(await breaker.judge([], answer(timeout)), { answer: timeout, skipped: [], tripped: [] });
  t.same(await breaker.judge(['a'], answer({ kind: 'overloaded' })), {
    answer: { kind: 'overloaded' },
    skipped: [],
    tripped: [],
  });
  t.equal(runs, 2);
  t.same(breaker.suspended(['a']), [], "the platform's own timeout suspends no tenant");
});
