import t from 'tap';
import { ReconcilerMetrics } from '../../reconciler/metrics.js';

t.test('each source keeps its own applied-revision series', async (t) => {
  const m = new ReconcilerMetrics({ defaultMetrics: false });
  m.setAppliedRevision('a', 'r1');
  m.setAppliedRevision('b', 'r9');
  m.setAppliedRevision('a', 'r2');
  const series = (await m.lastAppliedRevision.get()).values.map((v) => [
    v.labels.source,
    v.labels.revision,
    v.value,
  ]);
  t.strictSame(series, [
    ['b', 'r9', 1],
    ['a', 'r2', 1],
  ]);
});
