import t from 'tap';
import { KeyedQueue } from '../../core/keyed-queue.js';

t.test('KeyedQueue serialises per key and reports depth', async (t) => {
  const depths: number[] = [];
  const q = new KeyedQueue((n) => depths.push(n));
  const order: string[] = [];
  const slow = (label: string, ms: number) => () =>
    new Promise<void>((r) =>
      setTimeout(() => {
        order.push(label);
        r();
      }, ms),
    );
  await Promise.all([
    q.run('a', slow('a1', 30)),
    q.run('a', slow('a2', 1)),
    q.run('b', slow('b1', 5)),
  ]);
  t.same(order, ['b1', 'a1', 'a2'], 'same key in order; other keys in parallel');
  t.equal(Math.max(...depths), 3);
  t.equal(depths[depths.length - 1], 0);
  await t.rejects(
    q.run('a', () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  t.equal(await q.run('a', async () => 'next'), 'next', 'a failure does not block the key');
});
