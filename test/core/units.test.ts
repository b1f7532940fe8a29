import t from 'tap';
import { backoffMs } from '../../core/backoff.js';
import { quantity } from '../../core/diff.js';
import { parseDuration } from '../../core/duration.js';

t.test('quantities, durations, backoff', async (t) => {
  t.equal(quantity('500m'), 0.5);
  t.equal(quantity('2Gi'), 2 * 2 ** 30);
  t.equal(quantity(3), 3);
  t.equal(quantity('lots'), undefined);
  t.equal(quantity(null), undefined);
  t.equal(parseDuration('1h30m'), 5_400_000);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('5 minutes'), undefined);
  t.equal(parseDuration('0'), 0, 'a bare 0, as Go reads it');
  t.equal(parseDuration('00'), undefined);
  t.same(
    [0, 1, 2, 3, 10].map((n) => backoffMs(n, 1000, 2, 5000)),
    [1000, 2000, 4000, 5000, 5000],
  );
});
