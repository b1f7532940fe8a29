// A source's activity (the status page's timeline): bounded in entries and in each diff, and a
// drift only reported, seen again at every watch event, said once.
import t from 'tap';
import {
  initialState,
  MAX_ACTIVITY,
  MAX_ACTIVITY_DIFF,
  recordActivity,
} from '../../../reconciler/model/source-state.js';

const entry = (i: number, event: 'reverted' | 'drifted' = 'reverted', diff = '/data/v: x') => ({
  at: new Date(i * 1000).toISOString(),
  object: 'ConfigMap a/b',
  event,
  diff,
});

t.test('the newest MAX_ACTIVITY kept', (t) => {
  const s = initialState('x');
  for (let i = 0; i < 50; i++) recordActivity(s, entry(i));
  t.equal(s.activity?.length, MAX_ACTIVITY);
  t.equal(s.activity?.[0]?.at, entry(50 - MAX_ACTIVITY).at, 'the oldest dropped');
  t.end();
});

t.test('a reported drift seen again is said once; a reverted one each time', (t) => {
  const s = initialState('x');
  for (let i = 0; i < 5; i++) recordActivity(s, entry(i, 'drifted'));
  recordActivity(s, entry(5, 'drifted', '/data/v: y'));
  for (let i = 6; i < 8; i++) recordActivity(s, entry(i));
  t.same(
    s.activity?.map((a) => `${a.event} ${a.diff}`),
    ['drifted /data/v: x', 'drifted /data/v: y', 'reverted /data/v: x', 'reverted /data/v: x'],
  );
  t.end();
});

t.test('a large diff is cut', (t) => {
  const s = initialState('x');
  recordActivity(s, entry(0, 'reverted', 'z'.repeat(1_000_000)));
  t.equal(s.activity?.[0]?.diff.length, MAX_ACTIVITY_DIFF + 2);
  t.end();
});
