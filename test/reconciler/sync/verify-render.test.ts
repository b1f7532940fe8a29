// The verify and render stages over a fake Git history and a fake cluster. Real signatures and
// real renderers are exercised in verification.e2e and the render tests; here only the stage
// logic: which commits are checked, what is refused, where objects are placed.
import t from 'tap';
import type { SyncContext } from '../../../reconciler/sync/context.js';
import { ReconcileError } from '../../../reconciler/sync/errors.js';
import { ReconcileCode } from '../../../reconciler/model/reconcile-codes.js';
import { renderCommit } from '../../../reconciler/sync/render.js';
import { CommitRefused, verifyHead } from '../../../reconciler/sync/verify.js';
import type { Verdict } from '../../../reconciler/verify/verifier.js';
import { FakeCluster, sourceConfig, stageContext } from '../../support/fake-cluster.js';

/** A linear history a ← b ← c ← d; `unsigned` commits fail verification. */
function history(unsigned: string[]) {
  const order = ['a', 'b', 'c', 'd'];
  const checked: string[] = [];
  const git = {
    descendsFrom: async (x: string, y: string) => order.indexOf(x) > order.indexOf(y),
    parents: async (x: string) => (order.indexOf(x) > 0 ? [order[order.indexOf(x) - 1]] : []),
    // The one raw read of a commit gives both its signature and its committer time.
    rawCommit: async (x: string) =>
      Buffer.from(`${x}\ncommitter Dev <dev@example.com> 1700000000 +0000\n`),
  };
  const verifier = {
    verify: async (raw: Buffer): Promise<Verdict> => {
      const oid = raw.toString().split('\n')[0] ?? '';
      checked.push(oid);
      return unsigned.includes(oid)
        ? { ok: false, reason: 'unsigned', detail: 'no signature' }
        : ({ ok: true, kind: 'ssh', signer: `dev-${oid}` } as unknown as Verdict);
    },
  };
  return { git, verifier, checked };
}

function withGit(
  h: ReturnType<typeof history>,
  over: Record<string, unknown>,
  revision?: string,
): SyncContext {
  const ctx = stageContext(new FakeCluster(), { cfg: sourceConfig(over) });
  if (revision) ctx.state.revision = revision;
  return { ...ctx, git: h.git as never, verifier: h.verifier as never };
}

const verifyCases: {
  name: string;
  given: { unsigned: string[]; mode: string; applied?: string; head: string; force?: boolean };
  want: { signer?: string; refused?: string; checked: string[] };
}[] = [
  {
    name: 'head mode checks the head only',
    given: { unsigned: ['b', 'c'], mode: 'head', applied: 'a', head: 'd' },
    want: { signer: 'dev-d', checked: ['d'] },
  },
  {
    name: 'strict mode checks every commit since the applied one',
    given: { unsigned: [], mode: 'strict', applied: 'a', head: 'd' },
    want: { signer: 'dev-d', checked: ['d', 'c', 'b'] },
  },
  {
    name: 'strict mode refuses an unsigned commit under a signed head',
    given: { unsigned: ['c'], mode: 'strict', applied: 'a', head: 'd' },
    want: { refused: 'unsigned', checked: ['d', 'c'] },
  },
  {
    name: 'an unsigned head is refused',
    given: { unsigned: ['d'], mode: 'head', head: 'd' },
    want: { refused: 'unsigned', checked: ['d'] },
  },
  {
    name: 'a head that does not descend from the applied one is refused unchecked',
    given: { unsigned: [], mode: 'head', applied: 'd', head: 'b' },
    want: { refused: 'rewritten-history', checked: [] },
  },
  {
    name: 'allowForcePush lets rewritten history through verification',
    given: { unsigned: [], mode: 'head', applied: 'd', head: 'b', force: true },
    want: { signer: 'dev-b', checked: ['b'] },
  },
];

for (const c of verifyCases) {
  t.test(`verify: ${c.name}`, async (t) => {
    const h = history(c.given.unsigned);
    const ctx = withGit(
      h,
      {
        verification: { mode: c.given.mode, sshAllowedSigners: 'x ssh-ed25519 AAAA' },
        allowForcePush: c.given.force ?? false,
      },
      c.given.applied,
    );
    const got = await verifyHead(ctx, c.given.head).then(
      (v) => v,
      (err: unknown) => ({ err }),
    );
    if (c.want.refused) {
      const err = (got as { err: CommitRefused }).err;
      t.type(err, CommitRefused);
      t.equal(err.reason, c.want.refused);
      t.equal(err.code, ReconcileCode.RECONCILE_COMMIT_REFUSED);
      t.equal(err.next, 'stalled');
    } else t.strictSame(got, { signer: c.want.signer, time: 1_700_000_000_000 });
    t.strictSame(h.checked, c.want.checked, 'commits verified');
  });
}

const tree = (files: Record<string, string>) =>
  new Map(Object.entries(files).map(([p, s]) => [p, { oid: p, content: Buffer.from(s) }]));

function rendering(files: Record<string, string>, over: Record<string, unknown> = {}) {
  const cluster = new FakeCluster();
  const ctx = stageContext(cluster, { cfg: sourceConfig({ path: 'apps', ...over }) });
  const git = { readTree: async () => tree(files) };
  return { cluster, ctx: { ...ctx, git: git as never } };
}

t.test('render: objects are placed in the destination, cluster-scoped ones lose it', async (t) => {
  const { ctx } = rendering(
    {
      'apps/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
      'apps/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: x}\n',
    },
    { clusterScopedKinds: ['Namespace'] },
  );
  const r = await renderCommit(ctx, 'd');
  t.strictSame(
    r.rendered.map((x) => [x.object.kind, x.object.metadata.namespace ?? null, x.resource]),
    [
      ['ConfigMap', 'shop', 'configmaps'],
      ['Namespace', null, 'namespaces'],
    ],
  );
  t.strictSame(r.refused, []);
});

t.test('render: what a tenant may not write is kept apart, the rest renders', async (t) => {
  const { ctx } = rendering({
    'apps/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    'apps/b.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: kube-system}\n',
  });
  const r = await renderCommit(ctx, 'd');
  t.strictSame(
    r.rendered.map((x) => x.object.metadata.name),
    ['a'],
  );
  t.strictSame(
    r.refused.map((x) => x.object),
    ['Secret kube-system/b'],
  );
});

t.test('render: bad YAML is a stalled RECONCILE_RENDER_FAILED', async (t) => {
  const { ctx } = rendering({ 'apps/a.yaml': 'kind: [unclosed\n' });
  const err = (await renderCommit(ctx, 'd').catch((e: unknown) => e)) as ReconcileError;
  t.type(err, ReconcileError);
  t.equal(err.code, ReconcileCode.RECONCILE_RENDER_FAILED);
  t.equal(err.next, 'stalled');
});

t.test('render: a kind the cluster does not serve yet is waiting, not stalled', async (t) => {
  const { ctx, cluster } = rendering({
    'apps/w.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
  });
  cluster.unserved.add('Widget');
  const err = (await renderCommit(ctx, 'd').catch((e: unknown) => e)) as ReconcileError;
  t.equal(err.code, ReconcileCode.RECONCILE_KIND_NOT_SERVED);
  t.equal(err.next, 'waiting');
  t.match(err.message, 'apps/w.yaml');
});

t.test('render: a CRD in the same commit gives its kinds their scope', async (t) => {
  const { ctx, cluster } = rendering(
    {
      'apps/crd.yaml': [
        'apiVersion: apiextensions.k8s.io/v1',
        'kind: CustomResourceDefinition',
        'metadata: {name: widgets.example.com}',
        'spec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgets}}',
      ].join('\n'),
      'apps/w.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
    },
    { clusterScopedKinds: ['CustomResourceDefinition'] },
  );
  cluster.unserved.add('Widget');
  const r = await renderCommit(ctx, 'd');
  const w = r.rendered.find((x) => x.object.kind === 'Widget');
  t.equal(w?.object.metadata.namespace, 'shop');
  t.equal(w?.resource, 'widgets');
});
