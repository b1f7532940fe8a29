import t from 'tap';
import type { EngineAnswer } from '../../policies/engine/pool/pool.js';
import { TenantBreaker } from '../../webhook/tenant-breaker.js';

// A tenant's runaway policies suspended after one missed deadline (issue 26 finding 5).
const ok: EngineAnswer = { kind: 'ok', revision: 'r', outcomes: [] };
const timeout: EngineAnswer = { kind: 'timeout' };

t.test('a missed deadline suspends the live tenants and judges again without them', async (t) => {
  let now = 1_000;
  const breaker = new TenantBreaker({ now: () => now, suspensionMs: 60_000 });
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
  const breaker = new TenantBreaker({ now: () => 0 });
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

t.test(
  "a tenant's policies speak in one evaluation at a time; the rest wait their turn",
  async (t) => {
    const breaker = new TenantBreaker({ maxInFlight: 1, waitMs: 5_000 });
    const release: (() => void)[] = [];
    const held = (skip: readonly string[]) =>
      new Promise<EngineAnswer>((resolve) => {
        t.same(skip, []);
        release.push(() => resolve(ok));
      });
    const first = breaker.judge(['a'], held);
    const second = breaker.judge(['a'], held);
    const other = await breaker.judge(['b'], () => Promise.resolve(ok));
    t.same(other.answer, ok, 'another tenant is not held up');
    await new Promise((r) => setImmediate(r));
    t.equal(release.length, 1, 'the second waits for the first');
    t.equal(breaker.inFlight('a'), 1);
    release.shift()?.();
    t.same((await first).answer, ok);
    while (release.length === 0) await new Promise((r) => setImmediate(r));
    release.shift()?.();
    t.same((await second).answer, ok);
    t.equal(breaker.inFlight('a'), 0);
  },
);

t.test('a turn that does not come within waitMs: overloaded, unevaluated', async (t) => {
  const breaker = new TenantBreaker({ maxInFlight: 1, waitMs: 50 });
  let free = (): void => undefined;
  const holding = breaker.judge(
    ['a'],
    () => new Promise<EngineAnswer>((resolve) => (free = () => resolve(ok))),
  );
  let ran = false;
  const late = await breaker.judge(['a'], () => {
    ran = true;
    return Promise.resolve(ok);
  });
  t.same(late, { answer: { kind: 'overloaded' }, skipped: [], tripped: [] });
  t.equal(ran, false);
  free();
  t.same((await holding).answer, ok);
});
