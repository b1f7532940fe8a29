import t from 'tap';
import { SyncStatus } from '../../../reconciler/model/source-state.js';
import { ReconcileCode as C } from '../../../reconciler/model/reconcile-codes.js';
import { syncStatusOf, type StatusInput } from '../../../reconciler/sync/status.js';

const cases: { name: string; given: StatusInput; want: SyncStatus }[] = [
  { name: 'converged', given: { suspended: false, codes: [], drifting: false }, want: 'Synced' },
  { name: 'drift left', given: { suspended: false, codes: [], drifting: true }, want: 'OutOfSync' },
  {
    name: 'suspended wins over a failure',
    given: { suspended: true, codes: [C.RECONCILE_GIT_UNAVAILABLE], drifting: true },
    want: 'Suspended',
  },
  {
    name: 'a refused head alone: Unverified',
    given: { suspended: false, codes: [C.RECONCILE_COMMIT_REFUSED], drifting: false },
    want: 'Unverified',
  },
  {
    name: 'a refused head and an apply error: Failed',
    given: {
      suspended: false,
      codes: [C.RECONCILE_COMMIT_REFUSED, C.RECONCILE_API_UNAVAILABLE],
      drifting: false,
    },
    want: 'Failed',
  },
  {
    name: 'a head that does not render: Failed',
    given: { suspended: false, codes: [C.RECONCILE_RENDER_FAILED], drifting: false },
    want: 'Failed',
  },
  {
    name: 'held by the gate: Failed',
    given: { suspended: false, codes: [C.RECONCILE_POLICY_HELD], drifting: true },
    want: 'Failed',
  },
  {
    name: 'objects outside its scope: Failed',
    given: { suspended: false, codes: [C.RECONCILE_NOT_PERMITTED], drifting: false },
    want: 'Failed',
  },
  {
    name: 'a refused prune: OutOfSync (what Git dropped is still live)',
    given: { suspended: false, codes: [C.RECONCILE_PRUNE_REFUSED], drifting: false },
    want: 'OutOfSync',
  },
  {
    name: 'a refused prune and an apply error: Failed',
    given: {
      suspended: false,
      codes: [C.RECONCILE_PRUNE_REFUSED, C.RECONCILE_OBJECT_INVALID],
      drifting: false,
    },
    want: 'Failed',
  },
  {
    name: 'a refused head and a refused prune: Unverified',
    given: {
      suspended: false,
      codes: [C.RECONCILE_COMMIT_REFUSED, C.RECONCILE_PRUNE_REFUSED],
      drifting: false,
    },
    want: 'Unverified',
  },
];
for (const c of cases) t.test(c.name, async (t) => t.equal(syncStatusOf(c.given), c.want));
