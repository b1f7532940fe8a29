// A GitSource's spec as a source: what a tenant may ask for, and what the platform's rules refuse.
import t from 'tap';
import {
  impersonationOf,
  sourceFromGitSource,
  type GitSourceObject,
} from '../../../reconciler/gitsource/spec.js';
import {
  conditionReason,
  draftConditions,
  gitSourceStatus,
  withTransitions,
} from '../../../reconciler/gitsource/status.js';
import { initialState } from '../../../reconciler/model/source-state.js';

const gs = (
  spec: Record<string, unknown>,
  name = 'web',
  namespace = 'team-a',
): GitSourceObject => ({
  metadata: { name, namespace, uid: 'u1', generation: 3 },
  spec: {
    repoURL: 'https://git.example/apps.git',
    verification: { configMapRef: { name: 'trust' } },
    ...spec,
  },
});
const TRUST = { sshAllowedSigners: 'sam@example.com namespaces="git" ssh-ed25519 AAAA\n' };
const OPEN = { requireServiceAccount: false, crossNamespace: false };

t.test('a plain GitSource: its namespace, namespaced kinds only, events on itself', async (t) => {
  const { source, problems } = sourceFromGitSource(
    gs({ path: 'app', interval: '1m' }),
    TRUST,
    OPEN,
  );
  t.strictSame(problems, []);
  t.match(source, {
    name: 'team-a.web',
    destinationNamespace: 'team-a',
    path: 'app',
    intervalMs: 60_000,
    prune: true,
    selfHeal: true,
    verification: { mode: 'head', trust: { sshAllowedSigners: TRUST.sshAllowedSigners } },
    eventTarget: {
      apiVersion: 'driftgate.io/v1alpha1',
      kind: 'GitSource',
      namespace: 'team-a',
      name: 'web',
      uid: 'u1',
    },
  });
  t.equal(source?.impersonate, undefined);
  // Exact: t.match would take any array for [] (the tenancy bound must be empty, not just an array).
  t.strictSame(
    [source?.allowedNamespaces, source?.clusterScopedKinds],
    [[], []],
    'its own namespace only, no cluster-scoped kind',
  );
});

t.test('with a ServiceAccount: applies as it, its RBAC bounds the rest', async (t) => {
  const obj = gs({ serviceAccountName: 'deployer', policyPath: 'policies' });
  const { source } = sourceFromGitSource(obj, TRUST, {
    requireServiceAccount: true,
    crossNamespace: false,
  });
  t.match(source, {
    impersonate: 'system:serviceaccount:team-a:deployer',
    policyPath: 'policies',
    policyEnforcement: 'own',
  });
  t.strictSame([source?.allowedNamespaces, source?.clusterScopedKinds], [['*'], ['*']]);
  t.equal(impersonationOf(obj), 'system:serviceaccount:team-a:deployer');
  t.equal(impersonationOf(gs({})), undefined);
});

t.test('the platform rules and a bad spec: every problem, no source', async (t) => {
  const r = sourceFromGitSource(
    gs({ destinationNamespace: 'prod', repoURL: 'git@github.com:x/y' }),
    undefined,
    { requireServiceAccount: true, crossNamespace: false },
  );
  t.equal(r.source, undefined);
  t.match(r.problems, [
    /serviceAccountName is required by the platform/,
    /destinationNamespace prod is not the GitSource's namespace team-a/,
    /verification ConfigMap trust not found in team-a/,
    /repoURL must be http:\/\/ or https:\/\//,
  ]);
  const long = sourceFromGitSource(gs({}, 'x'.repeat(60)), TRUST, OPEN);
  t.match(long.problems, [/at most 63 characters/]);
  const cross = sourceFromGitSource(gs({ destinationNamespace: 'prod' }), TRUST, {
    requireServiceAccount: false,
    crossNamespace: true,
  });
  t.equal(cross.source?.destinationNamespace, 'prod', 'allowed when the platform says so');
  const pgp = sourceFromGitSource(
    gs({}),
    { openpgp: 'KEY', openpgpIdentities: 'a@x, b@x', x509: 'CA', x509Identities: 'c@x' },
    OPEN,
  );
  t.strictSame(pgp.source?.verification.trust, {
    openpgp: [{ publicKey: 'KEY', identities: ['a@x', 'b@x'] }],
    x509: { cas: ['CA'], identities: ['c@x'] },
  });
});

t.test(
  'conditions follow Kubernetes conventions; transition times move only on change',
  async (t) => {
    const s = initialState('team-a.web');
    t.match(draftConditions(s, true), [
      { type: 'Ready', status: 'Unknown' },
      { type: 'Reconciling', status: 'True', reason: 'Progressing' },
      { type: 'Stalled', status: 'False' },
      { type: 'Verified', status: 'Unknown', reason: 'NotYetFetched' },
    ]);
    // A hook runs (issue 27): Ready and Reconciling say which, not the last commit's error.
    s.lastError = 'an earlier commit failed';
    s.runningHook = { phase: 'PreSync', object: 'batch/Job team-a/migrate' };
    const message = 'PreSync hook batch/Job team-a/migrate is running';
    t.strictSame(
      draftConditions(s, true)
        .slice(0, 2)
        .map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['Ready', 'Unknown', 'HookRunning', message],
        ['Reconciling', 'True', 'HookRunning', message],
      ],
    );
    delete s.runningHook;
    delete s.lastError;
    Object.assign(s, {
      revision: 'abc',
      signer: 'ssh:sam@example.com',
      verification: { commit: 'abc', ok: true },
      syncStatus: 'Synced',
      health: 'Healthy',
    });
    const first = withTransitions(draftConditions(s, false), [], 3, '2026-01-01T00:00:00Z');
    t.match(first[0], {
      type: 'Ready',
      status: 'True',
      reason: 'Succeeded',
      observedGeneration: 3,
    });
    const again = withTransitions(draftConditions(s, false), first, 4, '2026-01-02T00:00:00Z');
    t.equal(
      again[0]?.lastTransitionTime,
      '2026-01-01T00:00:00Z',
      'unchanged status keeps its time',
    );
    s.suspended = true;
    const suspended = withTransitions(draftConditions(s, false), again, 4, '2026-01-03T00:00:00Z');
    t.match(suspended[0], {
      status: 'False',
      reason: 'Suspended',
      lastTransitionTime: '2026-01-03T00:00:00Z',
    });
    s.suspended = false;
    s.errors = [{ code: 'RECONCILE_COMMIT_REFUSED', next: 'stalled', message: 'unsigned head' }];
    t.match(draftConditions(s, false), [
      {
        type: 'Ready',
        status: 'False',
        reason: 'ReconcileCommitRefused',
        message: 'unsigned head',
      },
      {},
      { type: 'Stalled', status: 'True', reason: 'ReconcileCommitRefused' },
    ]);
    const st = gitSourceStatus(s, { generation: 4, previous: [], now: 'n' });
    t.match(st, {
      observedGeneration: 4,
      lastAppliedRevision: 'abc',
      signer: 'ssh:sam@example.com',
      inventory: { objects: 0, drifted: 0 },
    });
  },
);

t.test('credentials from spec.secretRef: token, or username and password', async (t) => {
  const obj = gs({ secretRef: { name: 'git-creds' } });
  t.strictSame(sourceFromGitSource(obj, TRUST, OPEN, { token: 't0k' }).source?.secretAuth, {
    username: 'x-access-token',
    password: 't0k',
  });
  t.strictSame(
    sourceFromGitSource(obj, TRUST, OPEN, { username: 'u', password: 'p' }).source?.secretAuth,
    { username: 'u', password: 'p' },
  );
  t.match(sourceFromGitSource(obj, TRUST, OPEN, { username: 'u' }).problems, [
    'credentials Secret git-creds needs username and password, or token',
  ]);
  t.match(sourceFromGitSource(obj, TRUST, OPEN).problems, [
    'credentials Secret git-creds not found in team-a',
  ]);
  t.equal(sourceFromGitSource(gs({}), TRUST, OPEN).source?.secretAuth, undefined);
});

t.test("condition reasons are CamelCase, within metav1.Condition's pattern", async (t) => {
  const pattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
  for (const [given, want] of [
    ['RECONCILE_FORBIDDEN', 'ReconcileForbidden'],
    ['unknown-key', 'UnknownKey'],
    ['rewritten-history', 'RewrittenHistory'],
    ['OutOfSync', 'OutOfSync'],
    ['NotYetFetched', 'NotYetFetched'],
    ['', 'Unknown'],
    ['9 lives', 'Lives'],
  ] as const) {
    t.equal(conditionReason(given), want, given);
    t.match(conditionReason(given), pattern);
  }
  const s = initialState('x');
  s.verification = { commit: 'abc', ok: false, reason: 'unknown-key' };
  const verified = draftConditions(s, false).find((c) => c.type === 'Verified');
  t.equal(verified?.reason, 'UnknownKey');
});
