import t from 'tap';
import { ConfigError, parseWebhookConfig } from '../../webhook/config.js';
import { WebhookConfigSchema } from '../../webhook/config-schema.js';
import { WebhookError } from '../../webhook/errors.js';
import { exemptReason, makeExemptions } from '../../webhook/exemptions.js';
import type { AdmissionRequest } from '../../webhook/types.js';

t.test('defaults fill an empty config, and the result is frozen', async (t) => {
  const cfg = parseWebhookConfig({});
  t.equal(cfg.port, WebhookConfigSchema.properties.port.default);
  t.equal(cfg.port, 9443);
  t.equal(cfg.namespace, 'driftgate-system');
  t.match(cfg.tls, { mode: 'generate', ipAddresses: ['127.0.0.1'] });
  t.ok(Object.isFrozen(cfg));
});

t.test('every problem is reported at once', async (t) => {
  const err = t.throws(() =>
    parseWebhookConfig({
      port: 70000,
      logLevel: '',
      exemptions: { users: 'bob' },
      enforcementOverrides: { 'a/b': 'maybe' },
      tls: { certFile: '/x' },
      portt: 1,
    }),
  ) as ConfigError;
  t.type(err, ConfigError);
  t.same([...err.problems].sort(), [
    'enforcementOverrides.a/b must be enforce, warn or dryrun, or { action, scope, parameters }',
    'exemptions.users must be a list of strings',
    'logLevel must be a non-empty string',
    'port must be an integer from 0 to 65535',
    'tls.certFile and tls.keyFile go together',
    'unknown key portt (did you mean port?)',
  ]);
});

t.test('each error code equals its key', async (t) => {
  for (const [key, code] of Object.entries(WebhookError)) t.equal(code, key);
});

const req = (over: Partial<AdmissionRequest>): AdmissionRequest => ({
  uid: 'u',
  operation: 'CREATE',
  kind: { group: '', version: 'v1', kind: 'ConfigMap' },
  userInfo: { username: 'alice', groups: ['devs'] },
  ...over,
});

t.test('exemptions: kube-system and the own namespace always, plus what config adds', async (t) => {
  const ex = makeExemptions('driftgate-system', {
    namespaces: ['monitoring'],
    users: ['ci-bot'],
    groups: ['sre'],
    serviceAccounts: ['cert-manager/cert-manager'],
  });
  t.equal(
    exemptReason(req({ namespace: 'kube-system' }), makeExemptions('x')),
    'namespace kube-system',
    'always, even with no config',
  );
  t.equal(exemptReason(req({ namespace: 'driftgate-system' }), ex), 'namespace driftgate-system');
  t.equal(exemptReason(req({ namespace: 'monitoring' }), ex), 'namespace monitoring');
  t.equal(
    exemptReason(
      req({ kind: { group: '', version: 'v1', kind: 'Namespace' }, name: 'kube-system' }),
      ex,
    ),
    'namespace kube-system',
    'the Namespace object itself',
  );
  t.equal(
    exemptReason(req({ namespace: 'shop', userInfo: { username: 'ci-bot' } }), ex),
    'user ci-bot',
  );
  t.equal(
    exemptReason(
      req({
        namespace: 'shop',
        userInfo: { username: 'system:serviceaccount:cert-manager:cert-manager' },
      }),
      ex,
    ),
    'user system:serviceaccount:cert-manager:cert-manager',
  );
  t.equal(
    exemptReason(req({ namespace: 'shop', userInfo: { username: 'x', groups: ['a', 'sre'] } }), ex),
    'group sre',
  );
  t.equal(exemptReason(req({ namespace: 'shop' }), ex), undefined, 'everyone else is checked');
});

t.test(
  'objects a workload controller stamps from a judged template are not judged again',
  async (t) => {
    const pod = (username: string, ownerReferences: unknown[]) =>
      req({
        namespace: 'shop',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        userInfo: { username },
        object: { metadata: { name: 'web-x', ownerReferences } },
      });
    const rs = [{ kind: 'ReplicaSet', name: 'web-5d4', controller: true }];
    const ex = makeExemptions('driftgate-system');
    t.equal(
      exemptReason(pod('system:kube-controller-manager', rs), ex),
      'created by the controller of ReplicaSet web-5d4',
    );
    t.equal(
      exemptReason(pod('system:serviceaccount:kube-system:replicaset-controller', rs), ex),
      'created by the controller of ReplicaSet web-5d4',
      'with per-controller service accounts too',
    );
    t.equal(
      exemptReason(pod('alice', rs), ex),
      undefined,
      "an owner reference is anyone's to write",
    );
    t.equal(
      exemptReason(pod('system:kube-controller-manager', [{ ...rs[0], controller: false }]), ex),
      undefined,
      'only a controller owner',
    );
    t.equal(
      exemptReason(
        pod('system:kube-controller-manager', [{ kind: 'Widget', name: 'w', controller: true }]),
        ex,
      ),
      undefined,
      'only the built-in workload controllers',
    );
    t.equal(
      exemptReason(
        pod('system:kube-controller-manager', rs),
        makeExemptions('x', { controllerCreated: false }),
      ),
      undefined,
      'configurable: exemptions.controllerCreated: false judges them again',
    );
  },
);

t.test('gitState: defaults, and every problem listed', async (t) => {
  const cfg = parseWebhookConfig({
    gitState: {
      reconcilerURL: 'http://rec:8080/',
      tokenFile: '/t',
      reconciler: { username: 'system:serviceaccount:dg:rec', group: 'system:serviceaccounts:dg' },
    },
  });
  t.match(cfg.gitState, {
    reconcilerURL: 'http://rec:8080',
    pollIntervalMs: 2000,
    maxDocumentBytes: 48 * 1024 * 1024,
    breakGlass: { groups: [], maxDurationMs: 4 * 3_600_000 },
    governed: { namespaces: [], mode: 'deny' },
  });
  t.equal(parseWebhookConfig({}).gitState, undefined, 'off unless configured');
  const err = t.throws(() =>
    parseWebhookConfig({
      gitState: {
        reconcilerURL: 'rec:8080',
        pollInterval: 'often',
        maxDocumentMiB: 0,
        breakGlass: { groups: 'sre', maxDuration: '0s' },
        governed: { mode: 'maybe' },
      },
    }),
  ) as ConfigError;
  t.same([...err.problems].sort(), [
    'gitState.breakGlass.groups must be a list of strings',
    'gitState.breakGlass.maxDuration must be a duration such as 30s or 5m',
    'gitState.governed.mode must be one of deny, warn',
    'gitState.maxDocumentMiB must be an integer from 1 to 1024',
    'gitState.pollInterval must be a duration such as 30s or 5m',
    'gitState.reconciler.group must be a non-empty string',
    'gitState.reconciler.username must be a non-empty string',
    'gitState.reconcilerURL must be http(s)://',
    'gitState.tokenFile must be a non-empty string',
  ]);
});

t.test(
  "inventory: Gatekeeper's data.inventory, off by default; kinds as group/version/Kind",
  async (t) => {
    t.same(parseWebhookConfig({}).inventory, { watch: false, sync: [], maxObjects: 5_000 });
    t.same(
      parseWebhookConfig({
        inventory: {
          watch: true,
          sync: ['v1/Service', 'networking.k8s.io/v1/Ingress'],
          maxObjects: 5,
        },
      }).inventory,
      {
        watch: true,
        sync: [
          { group: '', version: 'v1', kind: 'Service' },
          { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
        ],
        maxObjects: 5,
      },
    );
    const err = (() => {
      try {
        parseWebhookConfig({ inventory: { sync: ['services', 'a/b/c/D'], colour: 1 } });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    t.same(err?.problems, [
      'unknown key inventory.colour',
      'inventory.sync: services must be group/version/Kind (core group: v1/Kind)',
      'inventory.sync: a/b/c/D must be group/version/Kind (core group: v1/Kind)',
    ]);
  },
);
