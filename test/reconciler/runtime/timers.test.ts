import t from 'tap';
import { KeyedTimers } from '../../../reconciler/runtime/clock.js';
import { FakeClock } from '../../support/fake-clock.js';

t.test('one timer per key: setting it again replaces it', async (t) => {
  const clock = new FakeClock();
  const timers = new KeyedTimers(clock);
  const ran: string[] = [];
  timers.after('a', 1000, () => ran.push('first'));
  timers.after('a', 3000, () => ran.push('second'));
  await clock.advance(2000);
  t.strictSame(ran, [], 'the replaced timer never runs');
  await clock.advance(1000);
  t.strictSame(ran, ['second']);
  t.equal(timers.due('a'), undefined, 'a timer that ran is forgotten');
});

t.test('at(): the same due time is kept, a new one replaces it', async (t) => {
  const clock = new FakeClock();
  const timers = new KeyedTimers(clock);
  const ran: number[] = [];
  const at = clock.now() + 5000;
  timers.at('g', at, () => ran.push(1));
  timers.at('g', at, () => ran.push(2));
  t.strictSame(clock.pending(), [5000], 'one timer for the same expiry');
  timers.at('g', at + 1000, () => ran.push(3));
  await clock.advance(10_000);
  t.strictSame(ran, [3]);
});

t.test('cancel and stop', async (t) => {
  const clock = new FakeClock();
  const timers = new KeyedTimers(clock);
  const ran: string[] = [];
  timers.after('a', 10, () => ran.push('a'));
  timers.after('b', 10, () => ran.push('b'));
  timers.cancel('a');
  timers.stop();
  timers.after('c', 10, () => ran.push('c'));
  await clock.advance(100);
  t.strictSame(ran, []);
  t.strictSame(clock.pending(), []);
});
