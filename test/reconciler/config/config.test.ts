import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReconcilerConfig, ReconcilerConfigError } from '../../../reconciler/config/parse.js';
import { ReconcilerConfigSchema as S } from '../../../reconciler/config/schema.js';
import { configFiles, readConfigInputs } from '../../../reconciler/config/inputs.js';
import { hookAuthentic, hookRepos } from '../../../reconciler/server/push-hook.js';
import { createHmac } from 'node:crypto';

const ssh = 'alice@example.com namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGW8\n';

t.test('a minimal source gets the documented defaults', async (t) => {
  const cfg = parseReconcilerConfig({
    sources: [
      {
        name: 'prod',
        repoURL: 'https://git.example/platform.git',
        verification: { sshAllowedSigners: ssh },
      },
    ],
  });
  t.match(cfg.sources[0], {
    ref: 'main',
    path: '.',
    destinationNamespace: 'default',
    intervalMs: 180_000,
    prune: true,
    selfHeal: true,
    createNamespace: false,
    suspend: false,
    allowForcePush: false,
    maxPruneFraction: 0.5,
    fightThreshold: 5,
    retry: { limit: 5, backoffMs: 5000, factor: 2, maxMs: 180_000 },
    verification: { mode: 'head' },
  });
  t.ok(Object.isFrozen(cfg));
});

t.test('every problem is listed at once', async (t) => {
  const err = t.throws(() =>
    parseReconcilerConfig({
      statusPort: 'x',
      sources: [
        {
          name: 'Bad_Name',
          repoURL: 'git@github.com:x/y.git',
          interval: 'often',
          maxPruneFraction: 2,
          verification: { mode: 'sometimes' },
          ignoreDifferences: [{ jsonPointers: ['spec'] }],
        },
        { name: 'dup', repoURL: 'https://a/b', verification: { sshAllowedSigners: ssh } },
        {
          name: 'dup',
          repoURL: 'https://a/b',
          verification: { openpgp: [{}], x509: { caFiles: ['/no/such/ca.pem'] } },
          retry: { backoff: 'soon' },
        },
      ],
    }),
  ) as ReconcilerConfigError;
  t.type(err, ReconcilerConfigError);
  const text = err.problems.join('\n');
  for (const want of [
    'statusPort must be an integer from 0 to 65535',
    'name must be a DNS label',
    'repoURL must be http:// or https://',
    'interval must be a duration',
    'maxPruneFraction must be a number in (0, 1]',
    'verification.mode must be one of head, strict',
    'ignoreDifferences[0].kind must be a non-empty string',
    'ignoreDifferences[0].jsonPointers: spec must start with /',
    'no trusted signers',
    'name is used twice',
    'openpgp[0] needs publicKey or publicKeyFile',
    'cannot read /no/such/ca.pem',
    'retry.backoff must be a duration',
  ])
    t.match(text, want);
  t.throws(() => parseReconcilerConfig({ sources: 'all' }), /sources must be a list of sources/);
  t.same(
    parseReconcilerConfig({}).sources,
    [],
    'no sources: policies and audit only (the chart installs like this)',
  );
});

t.test('policies: gate and audit defaults, and their problems', async (t) => {
  const one = [{ name: 'a', repoURL: 'https://a/b', verification: { sshAllowedSigners: ssh } }];
  const cfg = parseReconcilerConfig({ sources: one });
  t.match(cfg.policies, { opaPath: 'opa', gate: 'enforce', audit: { intervalMs: 300_000 } });
  t.ok(cfg.policies.audit.kinds.includes('apps/v1/Deployment'));
  const err = t.throws(() =>
    parseReconcilerConfig({
      sources: one,
      policies: { gate: 'sometimes', audit: { interval: 'hourly', kinds: ['Deployment'] } },
    }),
  ) as ReconcilerConfigError;
  // In the schema's order: the gate, then the audit's keys.
  t.same(err.problems, [
    'policies.gate must be one of enforce, warn, off',
    'policies.audit.interval must be a duration such as 30s or 5m',
    'policies.audit.kinds: Deployment must be apiVersion/Kind, e.g. apps/v1/Deployment',
  ]);
});

t.test('trust material and credentials can come from files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'allowed'), ssh);
  const raw = {
    sources: [
      {
        name: 'a',
        repoURL: 'http://x/y',
        verification: { mode: 'strict', sshAllowedSignersFile: join(dir, 'allowed') },
        credentials: { tokenFile: '/var/run/token' },
        helm: { valuesFiles: ['values-prod.yaml'], values: { replicaCount: 2 } },
      },
    ],
  };
  // The composition root reads the files the config names; the parser only reads its inputs.
  t.strictSame(configFiles(raw), [join(dir, 'allowed')]);
  const cfg = parseReconcilerConfig(raw, readConfigInputs(configFiles(raw)));
  t.equal(cfg.sources[0]?.verification.trust.sshAllowedSigners, ssh);
  t.throws(
    () => parseReconcilerConfig(raw),
    /verification\.sshAllowedSignersFile: cannot read/,
    'the parser never reads a file itself',
  );
  t.same(cfg.sources[0]?.credentials, { tokenFile: '/var/run/token' });
  t.strictSame(cfg.sources[0]?.helm, {
    releaseName: 'a',
    valuesFiles: ['values-prod.yaml'],
    values: { replicaCount: 2 },
    skipCRDs: false,
  });
  const bad = structuredClone(raw);
  (bad.sources[0] as { helm: { values: unknown } }).helm.values = ['replicaCount=2'];
  t.throws(
    () => parseReconcilerConfig(bad, readConfigInputs(configFiles(bad))),
    /- sources\[0\] \(a\)\.helm\.values must be a mapping$/m,
  );
});

t.test(
  'push webhooks are authenticated (GitHub, GitLab, generic) and name their repo',
  async (t) => {
    const body = Buffer.from(
      JSON.stringify({ repository: { clone_url: 'https://git.example/platform.git' } }),
    );
    const sig = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
    t.ok(hookAuthentic({ 'x-hub-signature-256': sig }, body, 's3cret'), 'GitHub HMAC');
    t.ok(hookAuthentic({ 'x-driftgate-signature': sig }, body, 's3cret'), 'generic HMAC');
    t.ok(hookAuthentic({ 'x-gitlab-token': 's3cret' }, body, 's3cret'), 'GitLab token');
    t.notOk(
      hookAuthentic({ 'x-hub-signature-256': sig }, Buffer.from('{}'), 's3cret'),
      'body changed',
    );
    t.notOk(hookAuthentic({ 'x-gitlab-token': 'guess' }, body, 's3cret'), 'wrong token');
    t.notOk(hookAuthentic({}, body, 's3cret'), 'no signature');
    t.same(hookRepos(body), ['https://git.example/platform.git']);
    t.same(
      hookRepos(Buffer.from(JSON.stringify({ project: { git_http_url: 'https://gl/x.git' } }))),
      ['https://gl/x.git'],
    );
    t.same(hookRepos(Buffer.from('not json')), []);
  },
);

t.test('unknown keys are refused at every level, with the closest known key', async (t) => {
  const err = t.throws(() =>
    parseReconcilerConfig({
      statusPrt: 8080,
      policies: { gates: 'warn', audit: { intervall: '1m' } },
      leaderElection: { enabled: true, leaseDurration: '10s' },
      sources: [
        {
          name: 'a',
          repoURL: 'https://a/b',
          selfheal: false,
          retry: { backof: '1s' },
          verification: { sshAllowedSigners: ssh, mod: 'strict' },
          frobnicate: 1,
        },
      ],
    }),
  ) as ReconcilerConfigError;
  t.strictSame(err.problems, [
    'unknown key statusPrt (did you mean statusPort?)',
    'unknown key sources[0] (a).selfheal (did you mean selfHeal?)',
    'unknown key sources[0] (a).frobnicate',
    'unknown key sources[0] (a).retry.backof (did you mean backoff?)',
    'unknown key sources[0] (a).verification.mod (did you mean mode?)',
    'unknown key policies.gates (did you mean gate?)',
    'unknown key policies.audit.intervall (did you mean interval?)',
    'unknown key leaderElection.leaseDurration (did you mean leaseDuration?)',
  ]);
});

t.test('defaults live in one object the parser and --help both use', async (t) => {
  const cfg = parseReconcilerConfig({});
  t.equal(cfg.statusPort, S.properties.statusPort.default);
  t.equal(cfg.statusPort, 8080);
  t.equal(cfg.namespace, 'driftgate-system');
  t.equal(cfg.policies.gate, 'enforce');
  const le = parseReconcilerConfig({ leaderElection: { enabled: true } }, { identity: 'pod-7' });
  t.equal(le.leaderElection?.identity, 'pod-7', 'identity from the inputs, not process.env');
});

t.test('shards: the address defaults to the pod IP and status port; off by default', async (t) => {
  const on = (shards: Record<string, unknown>, podIP?: string) =>
    parseReconcilerConfig(
      { statusPort: 9000, leaderElection: { enabled: true, shards } },
      { identity: 'r-0', ...(podIP ? { podIP } : {}) },
    ).leaderElection?.shards;
  t.strictSame(on({ enabled: true }, '10.0.0.7'), { address: 'http://10.0.0.7:9000' });
  t.strictSame(on({ enabled: true, address: 'https://r-0.example:8443/' }, '10.0.0.7'), {
    address: 'https://r-0.example:8443',
  });
  t.throws(() => on({ enabled: true }), /leaderElection\.shards\.address: set it/, 'no address');
  t.strictSame(on({ enabled: true, podSelector: 'app=dg,tier=rec' }, '10.0.0.7'), {
    address: 'http://10.0.0.7:9000',
    podSelector: 'app=dg,tier=rec',
  });
  for (const bad of ['app in (dg)', 'app=dg,', '!app', ''])
    t.throws(
      () => on({ enabled: true, podSelector: bad }, '10.0.0.7'),
      /podSelector/,
      `podSelector ${JSON.stringify(bad)} refused`,
    );
  t.equal(on({ enabled: false }, '10.0.0.7'), undefined);
  t.equal(on({}, '10.0.0.7'), undefined);
});
