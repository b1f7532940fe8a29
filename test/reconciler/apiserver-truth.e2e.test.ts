// Drift is what the apiserver says, not a client-side guess; CRDs and their objects sync in one
// source at any count. Against the real apiserver, with a real mutating admission webhook (a
// small HTTPS server the apiserver calls, standing in for a policy engine or sidecar injector
// that sets a field Git also declares).
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { createCertificate, CertUsage } from '../../webhook/tls/pki.js';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { sourceCount, startTestReconciler, trustOf } from '../support/reconciler.js';
import { runCli } from '../support/run-cli.js';
import { openCrd } from '../support/gitsources.js';
import { followReconciler, registerGitGuard, startTestWebhook } from '../support/webhook.js';

const { cp, git, signer, dir } = await gitOpsFixture(t);

// The mutating webhook: every labelled ConfigMap's data.mode becomes "mutated".
const tls = createCertificate({
  commonName: '127.0.0.1',
  usage: CertUsage.server,
  ipAddresses: ['127.0.0.1'],
  issuer: cp.ca,
});
let mutations = 0;
const hook = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const review = JSON.parse(body) as { request: { uid: string; object?: { data?: object } } };
    const hasData = review.request.object?.data !== undefined;
    const patch = [
      {
        op: 'add',
        path: hasData ? '/data/mode' : '/data',
        value: hasData ? 'mutated' : { mode: 'mutated' },
      },
    ];
    mutations++;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid: review.request.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        },
      }),
    );
  });
});
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
t.teardown(() => hook.close());
const registered = await cp.kubectl(['apply', '-f', '-'], {
  input: JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'sets-mode' },
    webhooks: [
      {
        name: 'sets-mode.example.com',
        clientConfig: {
          url: `https://127.0.0.1:${(hook.address() as AddressInfo).port}/mutate`,
          caBundle: Buffer.from(cp.ca.certPem).toString('base64'),
        },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['configmaps'],
          },
        ],
        objectSelector: { matchLabels: { 'mutate-me': 'yes' } },
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
      },
    ],
  }),
});
if (registered.code !== 0) throw new Error(registered.stderr);

const yaml = (o: unknown): string => `${JSON.stringify(o)}\n`;
const gadgets = openCrd('truth.example.com', 'Gadget');
const GADGETS = 25;
const repo = await git.createRepo('truth');
await repo.commit(
  {
    'mutated/cm.yaml': yaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'tuned', labels: { 'mutate-me': 'yes' } },
      data: { mode: 'declared', other: 'x' },
    }),
    'crds/crd.yaml': yaml(gadgets),
    'crds/cm.yaml': yaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stays' } }),
    'crds/held.yaml': yaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    }),
    'crds/gadgets.yaml': Array.from({ length: GADGETS }, (_, i) =>
      yaml({
        apiVersion: 'truth.example.com/v1',
        kind: 'Gadget',
        metadata: { name: `g-${i}` },
        spec: { n: i },
      }),
    ).join('---\n'),
    'badcrd/crd.yaml': yaml({
      ...gadgets,
      metadata: { name: 'widgets.truth.example.com' },
      spec: {
        ...gadgets.spec,
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { $ref: '#/x' } } } },
          },
        ],
      },
    }),
    'badcrd/widget.yaml': yaml({
      apiVersion: 'truth.example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
    }),
  },
  { signer },
);
const source = (name: string) => ({
  name,
  repoURL: repo.url,
  path: name,
  destinationNamespace: name,
  createNamespace: true,
  clusterScopedKinds: ['apiextensions.k8s.io/CustomResourceDefinition'],
  verification: { mode: 'head', ...trustOf(signer) },
});
const token = join(dir, 'state-token');
writeFileSync(token, 'feed-t0ken\n');
const rec = await startTestReconciler(
  cp,
  [source('mutated'), source('crds'), source('badcrd')],
  { stateTokenFile: token },
  { autoStart: true },
);
t.teardown(() => rec.stop());

/** Wait until a source is Synced; on timeout, say what its status holds. */
async function synced(name: string): Promise<void> {
  let last = '';
  await waitFor(
    `${name} Synced`,
    async () => {
      const s = await rec.status(name);
      last = JSON.stringify({ sync: s.syncStatus, errors: s.errors, drifted: s.drifted });
      return s.syncStatus === 'Synced';
    },
    90_000,
    250,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${last}`);
  });
}

const counted = async (name: string, src: string): Promise<number> =>
  sourceCount(await rec.metrics(), name, src);
const mode = async (key: string): Promise<string> =>
  (await cp.kubectl(['get', 'cm', 'tuned', '-n', 'mutated', '-o', `jsonpath={.data.${key}}`]))
    .stdout;

t.test(
  'a field a mutating webhook sets: no phantom drift, no fight, in three resyncs',
  async (t) => {
    await synced('mutated');
    t.equal(await mode('mode'), 'mutated', 'the webhook did set it');
    t.ok(mutations > 0);
    for (let i = 0; i < 3; i++) await rec.sync('mutated');
    const s = await rec.status('mutated');
    t.strictSame([s.syncStatus, s.drifted, s.errors], ['Synced', [], []]);
    t.equal(await counted('driftgate_self_heal_total', 'mutated'), 0);
    t.equal(await counted('driftgate_fights_total', 'mutated'), 0);
    t.equal(await counted('driftgate_drift_detected_total', 'mutated'), 0);
  },
);

t.test('a real manual change is still reverted, once, and no fight follows', async (t) => {
  const r = await cp.kubectl([
    'patch',
    'cm',
    'tuned',
    '-n',
    'mutated',
    '-p',
    '{"data":{"other":"manual"}}',
  ]);
  t.equal(r.code, 0, r.stderr);
  await waitFor('reverted', async () => (await mode('other')) === 'x', 60_000, 250);
  await waitFor(
    'heal counted',
    async () => (await counted('driftgate_self_heal_total', 'mutated')) === 1,
    30_000,
    250,
  );
  for (let i = 0; i < 3; i++) await rec.sync('mutated');
  t.equal(await counted('driftgate_self_heal_total', 'mutated'), 1);
  t.equal(await counted('driftgate_fights_total', 'mutated'), 0);
  t.equal(await mode('mode'), 'mutated');
});

t.test('driftgate diff shows the dry-run result: nothing to change', async (t) => {
  const cfgFile = join(dir, 'reconciler.yaml');
  writeFileSync(
    cfgFile,
    stringify({ namespace: 'driftgate-system', sources: [source('mutated')] }),
  );
  process.env.KUBECONFIG = cp.kubeconfigs.reconciler;
  const out = await runCli(['diff', '--config', cfgFile]);
  t.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
  t.notMatch(out.stdout, /update ConfigMap/);
});

t.test(`a CRD and ${GADGETS} of its objects in one namespace sync in one pass`, async (t) => {
  await synced('crds');
  const got = await cp.kubectl(['get', 'gadgets', '-n', 'crds', '-o', 'name']);
  t.equal(got.stdout.trim().split('\n').length, GADGETS);
  t.strictSame((await rec.status('crds')).errors, []);
});

t.test('a CRD the apiserver refuses is reported in its words, not as a wait', async (t) => {
  let messages = '';
  await waitFor(
    'badcrd reported',
    async () => {
      const s = await rec.status('badcrd');
      messages = (s.errors as { message: string }[]).map((e) => e.message).join('\n');
      return /\$ref is not supported/.test(messages);
    },
    90_000,
    250,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: ${messages}`);
  });
  t.notMatch(messages, /not Established/);
});

t.test('a CRD removed from Git is kept, with every object of its kind, and said so', async (t) => {
  const made = await cp.kubectl(['create', 'namespace', 'elsewhere']);
  t.equal(made.code, 0, made.stderr);
  const mine = await cp.kubectl(['apply', '-f', '-'], {
    input: yaml({
      apiVersion: 'truth.example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'mine', namespace: 'elsewhere' },
    }),
  });
  t.equal(mine.code, 0, mine.stderr);
  await repo.commit({ 'crds/crd.yaml': null }, { signer });
  await rec.sync('crds');
  const s = await rec.status('crds');
  t.strictSame(s.crdsKept, [
    'apiextensions.k8s.io/CustomResourceDefinition gadgets.truth.example.com',
  ]);
  t.strictSame(s.errors, []);
  const crd = await cp.kubectl(['get', 'crd', 'gadgets.truth.example.com', '-o', 'name']);
  t.equal(crd.code, 0, 'the CRD is still there');
  const others = await cp.kubectl(['get', 'gadget', 'mine', '-n', 'elsewhere', '-o', 'name']);
  t.equal(others.stdout.trim(), 'gadget.truth.example.com/mine', "a user's object of its kind too");
  const ev = await cp.kubectl([
    'get',
    'events',
    '-A',
    '--field-selector',
    'reason=CRDKept',
    '-o',
    'jsonpath={.items[*].message}',
  ]);
  t.match(ev.stdout, /gadgets\.truth\.example\.com is no longer in Git and was kept/);
  await rec.sync('crds');
  const again = await cp.kubectl([
    'get',
    'events',
    '-A',
    '--field-selector',
    'reason=CRDKept',
    '-o',
    'name',
  ]);
  t.equal(again.stdout.trim().split('\n').length, 1, 'said once, not at every sync');
  t.strictSame((await rec.status('crds')).crdsKept, s.crdsKept, 'status keeps saying it');
});

t.test('a prune a finalizer holds is Terminating with its name, until it lets go', async (t) => {
  await repo.commit({ 'crds/held.yaml': null }, { signer });
  await rec.sync('crds');
  let s = await rec.status('crds');
  t.strictSame(s.terminating, ['ConfigMap crds/held: Terminating, held by example.com/hold']);
  const live = await cp.kubectl([
    'get',
    'cm',
    'held',
    '-n',
    'crds',
    '-o',
    'jsonpath={.metadata.deletionTimestamp}',
  ]);
  t.not(live.stdout, '', 'the apiserver marked it for deletion');
  t.equal(await counted('driftgate_prune_total', 'crds'), 0, 'not counted as pruned');
  const freed = await cp.kubectl([
    'patch',
    'cm',
    'held',
    '-n',
    'crds',
    '--type=merge',
    '-p',
    '{"metadata":{"finalizers":null}}',
  ]);
  t.equal(freed.code, 0, freed.stderr);
  await rec.sync('crds');
  s = await rec.status('crds');
  t.strictSame(s.terminating, []);
  t.equal(await counted('driftgate_prune_total', 'crds'), 0, 'it went by itself');
});

// Last: the Git guard stays registered (failurePolicy Fail) until the control plane goes.
t.test(
  'at admission, the mutated field counts as nothing; a real change is denied alone',
  async (t) => {
    // driftgate's webhook, following the reconciler, now guards what Git declares.
    const empty = join(dir, 'no-local-policies');
    mkdirSync(empty);
    const wh = await startTestWebhook(empty, { gitState: followReconciler(rec.url, token) });
    t.teardown(() => wh.stop());
    await registerGitGuard(cp, wh.url, wh.handle.caBundle(), 'driftgate:sre');
    const alice = (args: string[]) => cp.kubectl(args, { as: 'developer' });
    let denied = { code: 0, stderr: '' };
    await waitFor(
      'the Git guard to know the source',
      async () => {
        denied = await alice([
          'patch',
          'cm',
          'tuned',
          '-n',
          'mutated',
          '-p',
          '{"data":{"other":"manual"}}',
        ]);
        return denied.code !== 0 && denied.stderr.includes('/data/other');
      },
      30_000,
      250,
    );
    t.match(denied.stderr, /\/data\/other/);
    t.notMatch(denied.stderr, /\/data\/mode/, 'the field the mutating webhook sets is not named');
    const labelled = await alice(['label', 'cm', 'tuned', '-n', 'mutated', 'team=shop']);
    t.equal(labelled.code, 0, `a change Git does not declare is let through: ${labelled.stderr}`);
    t.equal(await mode('other'), 'x');
  },
);
