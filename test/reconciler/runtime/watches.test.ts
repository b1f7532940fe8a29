import { pino } from 'pino';
import t from 'tap';
import { KindWatches, type OpenWatch } from '../../../reconciler/runtime/watches.js';
import { FakeClock, settle } from '../../support/fake-clock.js';

/** A fake apiserver watch endpoint: fails the first `failures` opens, then serves. */
function endpoint(failures: number) {
  const opened: { onEvent: Parameters<OpenWatch>[2]; onEnd: () => void; aborted: boolean }[] = [];
  let tries = 0;
  const open: OpenWatch = async (_apiVersion, _kind, onEvent, onEnd) => {
    tries++;
    if (tries <= failures) throw new Error('connection refused');
    const w = { onEvent, onEnd, aborted: false };
    opened.push(w);
    return { abort: () => void (w.aborted = true) };
  };
  return { open, opened, tries: () => tries };
}

function watches(open: OpenWatch, clock: FakeClock) {
  const changes: string[] = [];
  const gaps: string[] = [];
  const w = new KindWatches({
    open,
    clock,
    logger: pino({ level: 'silent' }),
    onChange: (_a, kind, obj) => changes.push(`${kind}/${obj.metadata?.name}`),
    onGap: (_a, kind) => gaps.push(kind),
  });
  return { w, changes, gaps };
}

t.test('a kind is watched once; changes and deletions are reported, additions not', async (t) => {
  const clock = new FakeClock();
  const e = endpoint(0);
  const { w, changes, gaps } = watches(e.open, clock);
  await w.ensure('v1', 'ConfigMap');
  await w.ensure('v1', 'ConfigMap');
  t.equal(e.tries(), 1);
  const watch = e.opened[0];
  watch?.onEvent('ADDED', { metadata: { name: 'a' } });
  watch?.onEvent('MODIFIED', { metadata: { name: 'b' } });
  watch?.onEvent('DELETED', { metadata: { name: 'c' } });
  t.strictSame(changes, ['ConfigMap/b', 'ConfigMap/c']);
  t.strictSame(gaps, [], 'no gap on a first open');
  w.stop();
  t.equal(watch?.aborted, true, 'stop aborts the watch');
});

t.test(
  'a failing open is retried with growing backoff; the reopened watch reports the gap',
  async (t) => {
    const clock = new FakeClock();
    const e = endpoint(3);
    const { w, gaps } = watches(e.open, clock);
    await w.ensure('apps/v1', 'Deployment');
    t.strictSame(clock.pending(), [500], 'first retry after 500 ms');
    await clock.advance(500);
    t.strictSame(clock.pending(), [1000], 'then 1 s');
    await clock.advance(1000);
    t.strictSame(clock.pending(), [2000], 'then 2 s');
    await clock.advance(2000);
    t.equal(e.tries(), 4);
    t.equal(e.opened.length, 1, 'open at last');
    t.strictSame(gaps, ['Deployment'], 'the gap is reported once');
    w.stop();
  },
);

t.test('a watch that ends is reopened and the gap reported; stop ends the retries', async (t) => {
  const clock = new FakeClock();
  const e = endpoint(0);
  const { w, gaps } = watches(e.open, clock);
  await w.ensure('v1', 'Service');
  e.opened[0]?.onEnd();
  await clock.advance(500);
  await settle();
  t.equal(e.opened.length, 2, 'reopened');
  t.strictSame(gaps, ['Service']);
  e.opened[1]?.onEnd();
  w.stop();
  await clock.advance(60_000);
  t.equal(e.opened.length, 2, 'nothing reopens after stop');
});
