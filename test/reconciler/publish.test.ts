import t from 'tap';
import { coalescedPublish } from '../../reconciler/sync/status.js';
import type { SyncContext } from '../../reconciler/sync/context.js';

// The status pass after watch-driven heals: one per burst of watch events, never lost. The
// context is a stub holding only what publish() reads (no cluster is involved).
const gauge = () => ({ set: () => undefined });
function ctx(calls: { n: number }): SyncContext {
  return {
    cfg: { name: 'shop', path: 'apps' },
    repo: 'https://git.example/shop.git',
    state: { objects: new Map(), errors: [], suspended: false, fighting: new Set() },
    d: {
      metrics: {
        breakGlassActive: gauge(),
        breakGlassExpired: gauge(),
        drifted: gauge(),
        suspended: gauge(),
        setSourceInfo: () => void calls.n++,
      },
    },
  } as unknown as SyncContext;
}

t.test('a burst of heals publishes once, after it; a later heal publishes again', async (t) => {
  const calls = { n: 0 };
  const publishSoon = coalescedPublish(ctx(calls), 20);
  for (let i = 0; i < 1000; i++) publishSoon();
  t.equal(calls.n, 0, 'not once per watch event');
  await new Promise((r) => setTimeout(r, 60));
  t.equal(calls.n, 1, 'one pass for the burst');
  publishSoon();
  await new Promise((r) => setTimeout(r, 60));
  t.equal(calls.n, 2, 'the next heal is published too');
});
