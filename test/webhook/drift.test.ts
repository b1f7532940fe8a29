import t from 'tap';
import { sealSecret } from '../../core/secrets.js';
import { DesiredState } from '../../webhook/desired-state.js';
import { checkGit, gateJudged, type GitGuardConfig } from '../../webhook/drift.js';
import type { AdmissionRequest } from '../../webhook/types.js';

// The pure Git guard, request by request (the e2e test drives the same code through kubectl).
const NOW = Date.parse('2026-11-22T12:00:00Z');
const declared = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    labels: { app: 'web', 'driftgate.io/source': 'shop' },
  },
  spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'web:1' }] } } },
};
/** One source ("shop", at a fixed commit) declaring `entries`. */
const sourceIndex = (
  entries: Parameters<DesiredState['load']>[0]['sources'][number]['entries'],
) => {
  const i = new DesiredState();
  i.load({
    version: 1,
    generation: 'g1',
    sources: [
      {
        name: 'shop',
        repoURL: 'https://git.example/platform',
        revision: 'abcdef0123456789abcdef',
        entries,
      },
    ],
  });
  return i;
};
const webEntry = {
  group: 'apps',
  resource: 'deployments',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  path: 'apps/web.yaml',
  declared,
  ignore: [],
};
const index = sourceIndex([
  webEntry,
  {
    group: 'apps',
    resource: 'deployments',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'hpa',
    path: 'apps/hpa.yaml',
    declared: { ...declared, metadata: { ...declared.metadata, name: 'hpa' } },
    ignore: ['/spec/replicas'],
  },
  {
    group: 'apps',
    resource: '',
    kind: 'Deployment',
    name: 'no-resource',
    path: 'x.yaml',
    declared,
    ignore: [],
  },
]);
const cfg: GitGuardConfig = {
  reconciler: {
    username: 'system:serviceaccount:dg:rec',
    group: 'system:serviceaccounts:dg',
    gate: 'warn',
  },
  breakGlass: { groups: new Set(['sre']), maxDurationMs: 3_600_000 },
  governed: { namespaces: new Set(['shop']), mode: 'deny' },
};
const live = (patch: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
  ...declared,
  metadata: { ...declared.metadata, ...(annotations ? { annotations } : {}) },
  spec: { ...declared.spec, ...patch },
});
const glass = (expires: string, reason = 'incident') => ({
  'driftgate.io/break-glass': reason,
  'driftgate.io/break-glass-expires': expires,
});
const req = (r: Partial<AdmissionRequest>): AdmissionRequest => ({
  uid: 'u',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  name: 'web',
  namespace: 'shop',
  operation: 'UPDATE',
  userInfo: { username: 'alice', groups: ['dev'] },
  object: live(),
  oldObject: live(),
  ...r,
});
const check = (r: Partial<AdmissionRequest>) => checkGit(req(r), index, cfg, NOW);

t.test('UPDATE: only changes that move a declared field away from Git are denied', async (t) => {
  t.match(check({ object: live({ replicas: 1 }) }), {
    kind: 'denied',
    fields: ['/spec/replicas'],
    message: /commit abcdef012345\).*\/spec\/replicas \(Git: 3, request: 1\)/,
  });
  t.match(check({}), { kind: 'allowed' }, 'no change');
  const extra = live();
  (extra.metadata as Record<string, unknown>).labels = { ...declared.metadata.labels, x: 'y' };
  t.match(check({ object: extra }), { kind: 'allowed' }, 'undeclared label');
  t.match(
    check({ object: live({ replicas: 1, paused: true }), oldObject: live({ replicas: 1 }) }),
    { kind: 'allowed' },
    'a field already drifted (left by break-glass) does not block other edits',
  );
  t.match(check({ object: live({ replicas: 2 }), oldObject: live({ replicas: 1 }) }), {
    kind: 'denied',
  });
});

t.test('the reconciler passes only with its exact username and group', async (t) => {
  const rec = { username: cfg.reconciler.username, groups: [cfg.reconciler.group] };
  t.match(check({ userInfo: rec, object: live({ replicas: 9 }) }), { kind: 'unmanaged' });
  t.match(
    check({ userInfo: { username: rec.username, groups: [] }, object: live({ replicas: 9 }) }),
    { kind: 'denied' },
  );
});

t.test('DELETE is denied, except controllers tearing down and break-glass', async (t) => {
  t.match(check({ operation: 'DELETE', object: null }), {
    kind: 'denied',
    message: /deleting it departs from Git/,
  });
  t.match(
    check({
      operation: 'DELETE',
      object: null,
      userInfo: { username: 'system:serviceaccount:kube-system:namespace-controller' },
    }),
    { kind: 'allowed' },
  );
  t.match(
    check({
      operation: 'DELETE',
      object: null,
      oldObject: live({}, glass('2026-11-22T12:30:00Z')),
      userInfo: { username: 'carol', groups: ['sre'] },
    }),
    { kind: 'allowed', breakGlass: { reason: 'incident', fields: ['(delete)'] } },
  );
});

t.test('CREATE of a declared object: same values allowed, different denied', async (t) => {
  const bare = live();
  bare.metadata = { name: 'web', namespace: 'shop', labels: { app: 'web' } } as never;
  t.match(check({ operation: 'CREATE', object: bare, oldObject: null }), { kind: 'allowed' });
  t.match(check({ operation: 'CREATE', object: live({ replicas: 1 }), oldObject: null }), {
    kind: 'denied',
    fields: ['/spec/replicas'],
  });
});

t.test('subresources: scale guarded unless replicas are ignored; status free', async (t) => {
  const scale = (name: string, to: number) =>
    check({
      name,
      subResource: 'scale',
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      object: { spec: { replicas: to } },
      oldObject: { spec: { replicas: 3 } },
    });
  t.match(scale('web', 1), { kind: 'denied', fields: ['/spec/replicas'] });
  t.match(scale('web', 3), { kind: 'allowed' });
  t.match(scale('hpa', 7), { kind: 'allowed' }, 'HPA-owned replicas');
  t.match(check({ subResource: 'status', object: live({ replicas: 1 }) }), { kind: 'allowed' });
});

t.test('break-glass: groups, reason, expiry bounds; then departures pass', async (t) => {
  const carol = { username: 'carol', groups: ['sre'] };
  const set = (ann: Record<string, string>, user = carol, patch = {}) =>
    check({ userInfo: user, object: live(patch, ann) });
  t.match(set(glass('2026-11-22T12:30:00Z'), { username: 'alice', groups: ['dev'] }), {
    kind: 'denied',
    message: /only members of sre/,
  });
  t.match(set(glass('2026-11-22T12:30:00Z', ' ')), { message: /must give a reason/ });
  t.match(set(glass('soon')), { message: /must be an RFC 3339 time/ });
  t.match(set(glass('2026-11-22T11:00:00Z')), { message: /is in the past/ });
  t.match(set(glass('2026-11-22T14:00:00Z')), { message: /more than 60m ahead/ });
  t.match(set(glass('2026-11-22T12:30:00Z'), carol, { replicas: 1 }), {
    kind: 'allowed',
    breakGlass: { reason: 'incident', fields: ['/spec/replicas'] },
  });
  const active = live({}, glass('2026-11-22T12:30:00Z'));
  t.match(
    check({
      userInfo: { username: 'alice', groups: ['dev'] },
      oldObject: active,
      object: live({ replicas: 1 }, glass('2026-11-22T12:30:00Z')),
    }),
    { kind: 'denied', fields: ['/spec/replicas'] },
    'an active break-glass does not let others through',
  );
  t.match(
    checkGit(
      req({
        userInfo: carol,
        oldObject: active,
        object: live({ replicas: 1 }, glass('2026-11-22T12:30:00Z')),
      }),
      index,
      cfg,
      Date.parse('2026-11-22T13:00:00Z'),
    ),
    { kind: 'denied' },
    'an expired break-glass lets nobody through',
  );
});

t.test('governed namespaces: creates of undeclared objects by people', async (t) => {
  const create = (r: Partial<AdmissionRequest>) =>
    check({
      operation: 'CREATE',
      name: 'adhoc',
      oldObject: null,
      object: { metadata: { name: 'adhoc' } },
      ...r,
    });
  t.match(create({}), {
    kind: 'governed',
    mode: 'deny',
    message: /namespace shop is governed by Git/,
  });
  t.match(create({ namespace: 'other' }), { kind: 'unmanaged' });
  t.match(
    create({
      object: {
        metadata: { name: 'adhoc', ownerReferences: [{ kind: 'ReplicaSet', controller: true }] },
      },
    }),
    { kind: 'governed', mode: 'deny' },
    'an owner reference anyone may write is no pass',
  );
  t.match(create({ userInfo: { username: 'system:serviceaccount:kube-system:x' } }), {
    kind: 'unmanaged',
  });
  t.match(create({ operation: 'UPDATE' }), { kind: 'unmanaged' });
  const warn = checkGit(
    req({ operation: 'CREATE', name: 'adhoc', object: { metadata: {} } }),
    index,
    { ...cfg, governed: { ...cfg.governed, mode: 'warn' } },
    NOW,
  );
  t.match(warn, { kind: 'governed', mode: 'warn' });
});

t.test('the index: entries without a resource name are not looked up', async (t) => {
  t.equal(index.size, 2);
  t.equal(index.generation, 'g1');
  t.equal(index.find('apps', '', undefined, 'no-resource'), undefined);
  t.ok(index.find('apps', 'deployments', 'shop', 'web'));
});

t.test('a Secret is compared by digest and its values never appear in the message', async (t) => {
  const data = { password: Buffer.from('hunter2').toString('base64') };
  const secretIndex = sourceIndex([
    {
      group: '',
      resource: 'secrets',
      kind: 'Secret',
      namespace: 'shop',
      name: 'creds',
      path: 'creds.yaml',
      declared: sealSecret({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds' },
        data,
      }),
      ignore: [],
    },
  ]);
  const secret = (password: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'shop' },
    data: { password: Buffer.from(password).toString('base64') },
  });
  const update = (to: string): AdmissionRequest => ({
    uid: 'u',
    kind: { group: '', version: 'v1', kind: 'Secret' },
    resource: { group: '', version: 'v1', resource: 'secrets' },
    name: 'creds',
    namespace: 'shop',
    operation: 'UPDATE',
    userInfo: { username: 'alice', groups: [] },
    object: secret(to),
    oldObject: secret('hunter2'),
  });
  t.same(checkGit(update('hunter2'), secretIndex, cfg, NOW), {
    kind: 'allowed',
    declared: secretIndex.find('', 'secrets', 'shop', 'creds'),
  });
  const v = checkGit(update('changed'), secretIndex, cfg, NOW);
  t.equal(v.kind, 'denied');
  const message = v.kind === 'denied' ? v.message : '';
  t.match(message, /\/data\/password \(Git: "\(secret value\)", request: "\(secret value\)"\)/);
  for (const leak of ['hunter2', 'changed', data.password, 'sha256:'])
    t.notOk(message.includes(leak), `no ${leak} in the message`);
});

t.test("a reconciler write is the gate's to judge while the gate is on", async (t) => {
  const rec = { username: 'system:serviceaccount:dg:rec', groups: ['system:serviceaccounts:dg'] };
  const gate = (g: 'enforce' | 'warn' | 'off') => ({
    ...cfg,
    reconciler: { ...cfg.reconciler, gate: g },
  });
  t.equal(
    gateJudged(req({ object: live(), userInfo: rec }), gate('warn')),
    'written by the reconciler, whose pre-apply gate (warn) judged it',
  );
  t.equal(
    gateJudged(req({ object: live({ replicas: 1 }), userInfo: rec }), gate('enforce')),
    'written by the reconciler, whose pre-apply gate (enforce) judged it',
  );
  t.equal(gateJudged(req({ object: live(), userInfo: rec }), gate('off')), undefined, 'gate off');
  t.equal(
    gateJudged(
      req({ object: live(), userInfo: { username: rec.username, groups: [] } }),
      gate('warn'),
    ),
    undefined,
    'the username without the group is not the reconciler',
  );
  t.equal(gateJudged(req({ object: live() }), gate('warn')), undefined, 'someone else');
});

t.test(
  "a tenant source's writes, as its ServiceAccount, are its sync; nobody else's",
  async (t) => {
    const tenant = new DesiredState();
    tenant.load({
      version: 1,
      generation: 'g2',
      sources: [
        {
          name: 'shop.web',
          repoURL: 'https://git.example/shop',
          revision: 'abcdef0123456789abcdef',
          applier: 'system:serviceaccount:shop:deployer',
          entries: [webEntry],
        },
      ],
    });
    const changed = { object: live({ replicas: 1 }) };
    const as = (username: string) =>
      checkGit(req({ ...changed, userInfo: { username, groups: [] } }), tenant, cfg, NOW);
    t.strictSame(as('system:serviceaccount:shop:deployer'), { kind: 'unmanaged' });
    t.equal(as('alice').kind, 'denied');
    t.equal(as('system:serviceaccount:shop:other').kind, 'denied');
  },
);

t.test('a Namespace Git declares is guarded like any other object', async (t) => {
  const ns = (labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a', labels },
  });
  const withNs = sourceIndex([
    {
      group: '',
      resource: 'namespaces',
      kind: 'Namespace',
      name: 'team-a',
      path: 'ns.yaml',
      declared: ns({ 'pod-security.kubernetes.io/enforce': 'restricted' }),
      ignore: [],
    },
  ]);
  const nsReq = (r: Partial<AdmissionRequest>) =>
    req({
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      resource: { group: '', version: 'v1', resource: 'namespaces' },
      name: 'team-a',
      // The apiserver sends a Namespace's own name as its request namespace.
      namespace: 'team-a',
      object: ns({ 'pod-security.kubernetes.io/enforce': 'privileged' }),
      oldObject: ns({ 'pod-security.kubernetes.io/enforce': 'restricted' }),
      ...r,
    });
  t.match(checkGit(nsReq({}), withNs, cfg, NOW), {
    kind: 'denied',
    fields: ['/metadata/labels/pod-security.kubernetes.io~1enforce'],
  });
  t.match(checkGit(nsReq({ operation: 'DELETE', object: null }), withNs, cfg, NOW), {
    kind: 'denied',
    message: /deleting it departs from Git/,
  });
  const governedNs = {
    ...cfg,
    governed: { namespaces: new Set(['team-b']), mode: 'deny' as const },
  };
  t.match(
    checkGit(
      nsReq({ operation: 'CREATE', name: 'team-b', namespace: 'team-b', oldObject: null }),
      withNs,
      governedNs,
      NOW,
    ),
    { kind: 'unmanaged' },
    'a Namespace is not inside the governed namespace it names',
  );
});

t.test('a pending source keeps the entries this webhook had for it', async (t) => {
  const i = sourceIndex([webEntry]);
  i.load({ version: 1, generation: 'g2', sources: [], pending: ['shop'] });
  t.ok(i.find('apps', 'deployments', 'shop', 'web'), 'the reconciler restarted: still guarded');
  t.equal(i.generation, 'g2');
  i.load({ version: 1, generation: 'g3', sources: [] });
  t.equal(i.find('apps', 'deployments', 'shop', 'web'), undefined, 'gone once no longer pending');
});
