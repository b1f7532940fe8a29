// At most N tasks at once, the rest in arrival order; a failure frees its slot.
import t from 'tap';
import { Limiter } from '../../core/limiter.js';

t.test('at most max at once, FIFO, failures free their slot', async (t) => {
  const l = new Limiter(2);
  const release: (() => void)[] = [];
  const started: number[] = [];
  let peak = 0;
  const task = (i: number, fail = false) =>
    l.run(async () => {
      started.push(i);
      peak = Math.max(peak, l.running);
      await new Promise<void>((r) => release.push(r));
      if (fail) throw new Error(`task ${i} failed`);
      return i;
    });
  const all = [task(0, true), task(1), task(2), task(3), task(4)];
  await new Promise((r) => setImmediate(r));
  t.same(started, [0, 1], 'two start');
  t.equal(l.waiting, 3);
  release.shift()?.();
  await t.rejects(all[0] as Promise<number>, /task 0 failed/);
  await new Promise((r) => setImmediate(r));
  t.same(started, [0, 1, 2], 'the failure freed a slot for the next in line');
  while (release.length > 0) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  t.same(await Promise.all(all.slice(1)), [1, 2, 3, 4]);
  t.same(started, [0, 1, 2, 3, 4], 'in arrival order');
  t.equal(peak, 2, 'never more than two');
  t.equal(l.running, 0);
  t.equal(l.waiting, 0);
  t.throws(() => new Limiter(0), /positive integer/);
});
