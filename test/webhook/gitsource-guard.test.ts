// A GitSource never lends a ServiceAccount: its author must be allowed to impersonate it.
// The access check is a fake here (the real SubjectAccessReview runs in gitsource.e2e).
import t from 'tap';
import { pino } from 'pino';
import { gitSourceRefusal, type AccessCheck } from '../../webhook/gitsource-guard.js';
import { makeExemptions } from '../../webhook/exemptions.js';
import { handleRequest } from '../../webhook/handler.js';
import { AdmissionMetrics } from '../../webhook/metrics.js';
import type { AdmissionRequest } from '../../webhook/types.js';

const gs = (sa?: string) => ({
  apiVersion: 'driftgate.io/v1alpha1',
  kind: 'GitSource',
  metadata: { name: 'app', namespace: 'team' },
  spec: { repoURL: 'https://git.example/x', ...(sa ? { serviceAccountName: sa } : {}) },
});
const req = (r: Partial<AdmissionRequest>): AdmissionRequest => ({
  uid: 'u',
  kind: { group: 'driftgate.io', version: 'v1alpha1', kind: 'GitSource' },
  resource: { group: 'driftgate.io', version: 'v1alpha1', resource: 'gitsources' },
  name: 'app',
  namespace: 'team',
  operation: 'CREATE',
  userInfo: { username: 'alice', groups: ['dev'] },
  object: gs('deployer'),
  oldObject: null,
  ...r,
});
const asked: unknown[] = [];
const allows =
  (ok: boolean): AccessCheck =>
  async (user, attrs) => {
    asked.push([user.username, attrs]);
    return ok;
  };

t.test('who may name which ServiceAccount', async (t) => {
  t.match(
    await gitSourceRefusal(req({}), allows(false)),
    /^WEBHOOK_GITSOURCE_SERVICEACCOUNT: alice may not impersonate ServiceAccount team\/deployer/,
  );
  t.strictSame(asked.pop(), [
    'alice',
    { verb: 'impersonate', resource: 'serviceaccounts', namespace: 'team', name: 'deployer' },
  ]);
  t.equal(await gitSourceRefusal(req({}), allows(true)), undefined);
  t.equal(await gitSourceRefusal(req({ object: gs() }), allows(false)), undefined, 'none named');
  t.equal(
    await gitSourceRefusal(req({ operation: 'UPDATE', oldObject: gs('deployer') }), allows(false)),
    undefined,
    'an update that keeps the ServiceAccount (a suspend) needs nothing more',
  );
  t.match(
    await gitSourceRefusal(req({ operation: 'UPDATE', oldObject: gs('other') }), allows(false)),
    /may not impersonate/,
    'changing it is naming it',
  );
  t.equal(await gitSourceRefusal(req({ operation: 'DELETE' }), allows(false)), undefined);
  t.equal(
    await gitSourceRefusal(
      req({ kind: { group: '', version: 'v1', kind: 'ConfigMap' } }),
      allows(false),
    ),
    undefined,
  );
});

t.test(
  'editing what a GitSource applies borrows its ServiceAccount, Secret and ConfigMap anew',
  async (t) => {
    const withSpec = (spec: Record<string, unknown>) => ({
      ...gs('deployer'),
      spec: { ...gs('deployer').spec, ...spec },
    });
    const update = (spec: Record<string, unknown>) =>
      req({ operation: 'UPDATE', oldObject: gs('deployer'), object: withSpec(spec) });
    for (const spec of [
      { repoURL: 'https://git.example/mine' },
      { ref: 'other' },
      { path: 'elsewhere' },
      { policyPath: 'policies' },
      { destinationNamespace: 'team-2' },
    ])
      t.match(
        await gitSourceRefusal(update(spec), allows(false)),
        /^WEBHOOK_GITSOURCE_SERVICEACCOUNT: alice may not impersonate ServiceAccount team\/deployer/,
        `keeping the ServiceAccount while changing ${Object.keys(spec)[0]}`,
      );
    for (const spec of [{ suspend: true }, { interval: '5m' }, { timeout: '30s' }])
      t.equal(
        await gitSourceRefusal(update(spec), allows(false)),
        undefined,
        `${Object.keys(spec)[0]} changes only when it runs`,
      );
    asked.length = 0;
    const secret = withSpec({ secretRef: { name: 'creds' } });
    t.match(
      await gitSourceRefusal(req({ object: secret }), async (_u, a) => a.resource !== 'secrets'),
      /^WEBHOOK_GITSOURCE_SECRET: alice may not read Secret team\/creds/,
    );
    const trust = withSpec({ verification: { configMapRef: { name: 'keys' } } });
    t.match(
      await gitSourceRefusal(req({ object: trust }), async (_u, a) => a.resource !== 'configmaps'),
      /^WEBHOOK_GITSOURCE_CONFIGMAP: alice may not read ConfigMap team\/keys/,
    );
    await gitSourceRefusal(
      req({
        object: withSpec({
          secretRef: { name: 'creds' },
          verification: { configMapRef: { name: 'keys' } },
        }),
      }),
      allows(true),
    );
    t.strictSame(asked, [
      [
        'alice',
        { verb: 'impersonate', resource: 'serviceaccounts', name: 'deployer', namespace: 'team' },
      ],
      ['alice', { verb: 'get', resource: 'secrets', name: 'creds', namespace: 'team' }],
      ['alice', { verb: 'get', resource: 'configmaps', name: 'keys', namespace: 'team' }],
    ]);
  },
);

t.test('the apiserver cannot answer: failurePolicy decides', async (t) => {
  const down: AccessCheck = async () => {
    throw new Error('connect ECONNREFUSED');
  };
  const answer = (failurePolicy: 'Fail' | 'Ignore') =>
    handleRequest(req({}), 'validate', {
      bundle: () => undefined,
      exemptions: makeExemptions('dg'),
      metrics: new AdmissionMetrics({ defaultMetrics: false }),
      logger: pino({ level: 'silent' }),
      gitSourceCheck: down,
      failurePolicy,
    });
  const fail = await answer('Fail');
  t.equal(fail.allowed, false);
  t.match(fail.status?.message, 'WEBHOOK_GITSOURCE_CHECK_FAILED: connect ECONNREFUSED');
  const ignore = await answer('Ignore');
  t.equal(ignore.allowed, true);
  t.match(ignore.warnings, [/WEBHOOK_GITSOURCE_CHECK_FAILED.*allowed \(failurePolicy Ignore\)/]);
});

t.test("a chart's valuesFrom: its author must read each ConfigMap and Secret", async (t) => {
  const withValues = {
    ...gs(),
    spec: {
      ...gs().spec,
      helm: {
        valuesFrom: [
          { kind: 'ConfigMap', name: 'shared-values' },
          { kind: 'Secret', name: 'db-values' },
        ],
      },
    },
  };
  const seen: unknown[] = [];
  const onlyConfigMaps: AccessCheck = async (_user, attrs) => {
    seen.push([attrs.verb, attrs.resource, attrs.name]);
    return attrs.resource === 'configmaps';
  };
  t.equal(
    await gitSourceRefusal(req({ object: withValues }), onlyConfigMaps),
    'WEBHOOK_GITSOURCE_SECRET: alice may not read Secret team/db-values, so may not have a GitSource use it; ask for get on it, or name one you may use',
  );
  t.strictSame(seen, [
    ['get', 'configmaps', 'shared-values'],
    ['get', 'secrets', 'db-values'],
  ]);
});

t.test("a remote cluster's kubeconfig Secret: its author must be able to read it", async (t) => {
  const remote = {
    ...gs(),
    spec: { ...gs().spec, kubeConfig: { secretRef: { name: 'spoke-admin' } } },
  };
  const seen: unknown[] = [];
  const noSecrets: AccessCheck = async (_user, attrs) => {
    seen.push([attrs.verb, attrs.resource, attrs.name]);
    return attrs.resource !== 'secrets';
  };
  t.equal(
    await gitSourceRefusal(req({ object: remote }), noSecrets),
    'WEBHOOK_GITSOURCE_SECRET: alice may not read Secret team/spoke-admin, so may not have a GitSource use it; ask for get on it, or name one you may use',
  );
  t.strictSame(seen, [['get', 'secrets', 'spoke-admin']]);
  // Pointing an existing GitSource at another cluster is naming the Secret anew.
  t.match(
    await gitSourceRefusal(
      req({ operation: 'UPDATE', oldObject: gs(), object: remote }),
      noSecrets,
    ),
    /may not read Secret team\/spoke-admin/,
  );
});
