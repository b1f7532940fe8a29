import { ApiException } from '@kubernetes/client-node';
import t from 'tap';
import {
  apiErrorCode,
  mostUrgent,
  ReconcileError,
  typed,
  WAIT_MS,
} from '../../../reconciler/sync/errors.js';
import { ReconcileCode } from '../../../reconciler/model/reconcile-codes.js';
import { retryDelay } from '../../../reconciler/runtime/retry.js';

t.test('every reconcile error code equals its key', async (t) => {
  for (const [k, v] of Object.entries(ReconcileCode)) t.equal(v, k);
});

t.test('each code says what happens next', async (t) => {
  const next = (c: ReconcileCode) => new ReconcileError(c, 'x').next;
  t.strictSame(
    Object.values(ReconcileCode).map((c) => [c, next(c)]),
    [
      ['RECONCILE_GIT_UNAVAILABLE', 'transient'],
      ['RECONCILE_COMMIT_REFUSED', 'stalled'],
      ['RECONCILE_RENDER_FAILED', 'stalled'],
      ['RECONCILE_KIND_NOT_SERVED', 'waiting'],
      ['RECONCILE_API_UNAVAILABLE', 'transient'],
      ['RECONCILE_OBJECT_INVALID', 'stalled'],
      ['RECONCILE_FORBIDDEN', 'waiting'],
      ['RECONCILE_POLICY_HELD', 'stalled'],
      ['RECONCILE_NOT_PERMITTED', 'stalled'],
      ['RECONCILE_PRUNE_REFUSED', 'stalled'],
      ['RECONCILE_HOOK_FAILED', 'stalled'],
      ['RECONCILE_HOOKS_WAITING', 'waiting'],
    ],
  );
  t.equal(new ReconcileError(ReconcileCode.RECONCILE_FORBIDDEN, 'x').retryAfterMs, WAIT_MS);
  t.equal(new ReconcileError(ReconcileCode.RECONCILE_GIT_UNAVAILABLE, 'x').retryAfterMs, undefined);
});

const api = (code: number) => new ApiException(code, 'm', {}, {});
const apiCases = [
  { name: '403 forbidden', given: api(403), want: ReconcileCode.RECONCILE_FORBIDDEN },
  { name: '404 kind gone', given: api(404), want: ReconcileCode.RECONCILE_KIND_NOT_SERVED },
  { name: '409 conflict', given: api(409), want: ReconcileCode.RECONCILE_API_UNAVAILABLE },
  { name: '429 throttled', given: api(429), want: ReconcileCode.RECONCILE_API_UNAVAILABLE },
  { name: '503 unavailable', given: api(503), want: ReconcileCode.RECONCILE_API_UNAVAILABLE },
  { name: '422 invalid', given: api(422), want: ReconcileCode.RECONCILE_OBJECT_INVALID },
  { name: '400 bad request', given: api(400), want: ReconcileCode.RECONCILE_OBJECT_INVALID },
  {
    name: 'discovery does not know the kind',
    given: new Error('Unrecognized API version and kind: example.com/v1 Widget'),
    want: ReconcileCode.RECONCILE_KIND_NOT_SERVED,
  },
  {
    name: 'connection refused',
    given: new Error('connect ECONNREFUSED 127.0.0.1:6443'),
    want: ReconcileCode.RECONCILE_API_UNAVAILABLE,
  },
];
for (const c of apiCases)
  t.test(`apiErrorCode: ${c.name}`, async (t) => t.equal(apiErrorCode(c.given), c.want));

t.test('typed keeps a ReconcileError and wraps anything else with its cause', async (t) => {
  const e = new ReconcileError(ReconcileCode.RECONCILE_RENDER_FAILED, 'bad');
  t.equal(typed(e, ReconcileCode.RECONCILE_API_UNAVAILABLE), e);
  const cause = new Error('boom');
  const w = typed(cause, ReconcileCode.RECONCILE_API_UNAVAILABLE);
  t.equal(w.code, ReconcileCode.RECONCILE_API_UNAVAILABLE);
  t.equal(w.cause, cause);
  t.equal(w.message, 'boom');
});

t.test('mostUrgent: transient, then waiting, then stalled; none for no errors', async (t) => {
  const s = new ReconcileError(ReconcileCode.RECONCILE_POLICY_HELD, 's');
  const w = new ReconcileError(ReconcileCode.RECONCILE_FORBIDDEN, 'w');
  const x = new ReconcileError(ReconcileCode.RECONCILE_API_UNAVAILABLE, 'x');
  t.equal(mostUrgent([s, w, x]), x);
  t.equal(mostUrgent([s, w]), w);
  t.equal(mostUrgent([s]), s);
  t.equal(mostUrgent([]), undefined);
});

const cfg = {
  intervalMs: 180_000,
  retry: { limit: 3, backoffMs: 5_000, factor: 2, maxMs: 60_000 },
};
const delays = [
  {
    name: 'transient: first retry after the backoff',
    given: [new ReconcileError(ReconcileCode.RECONCILE_GIT_UNAVAILABLE, 'x'), 0],
    want: 5_000,
  },
  {
    name: 'transient: doubles',
    given: [new ReconcileError(ReconcileCode.RECONCILE_API_UNAVAILABLE, 'x'), 2],
    want: 20_000,
  },
  {
    name: 'transient past the retry limit: back to the interval',
    given: [new ReconcileError(ReconcileCode.RECONCILE_API_UNAVAILABLE, 'x'), 3],
    want: 180_000,
  },
  { name: 'an untyped error is transient', given: [new Error('x'), 1], want: 10_000 },
  {
    name: 'waiting: after the time it names',
    given: [
      new ReconcileError(ReconcileCode.RECONCILE_KIND_NOT_SERVED, 'x', { retryAfterMs: 7_000 }),
      4,
    ],
    want: 7_000,
  },
  {
    name: 'stalled: only the interval (a new commit is what changes it)',
    given: [new ReconcileError(ReconcileCode.RECONCILE_RENDER_FAILED, 'x'), 0],
    want: 180_000,
  },
] as const;
for (const c of delays)
  t.test(`retryDelay: ${c.name}`, async (t) =>
    t.equal(retryDelay(c.given[0], c.given[1], cfg), c.want),
  );

t.test('the error is named, and 500 itself is an outage', async (t) => {
  t.equal(new ReconcileError(ReconcileCode.RECONCILE_FORBIDDEN, 'x').name, 'ReconcileError');
  t.equal(
    apiErrorCode(new ApiException(500, 'm', {}, {})),
    ReconcileCode.RECONCILE_API_UNAVAILABLE,
  );
  t.equal(apiErrorCode('a string thrown'), ReconcileCode.RECONCILE_API_UNAVAILABLE);
});

t.test('a 500 for an object server-side apply cannot type is invalid, not an outage', async (t) => {
  const body = JSON.stringify({
    message:
      'failed to create typed patch object (crds/w2; example.com/v1, Kind=Widget): .spec.colour: field not declared in schema',
  });
  t.equal(
    apiErrorCode(new ApiException(500, 'm', body, {})),
    ReconcileCode.RECONCILE_OBJECT_INVALID,
  );
  t.equal(
    apiErrorCode(new ApiException(500, 'm', '{"message":"etcd timeout"}', {})),
    ReconcileCode.RECONCILE_API_UNAVAILABLE,
  );
  t.equal(
    apiErrorCode(new ApiException(400, 'm', body, {})),
    ReconcileCode.RECONCILE_OBJECT_INVALID,
  );
});
