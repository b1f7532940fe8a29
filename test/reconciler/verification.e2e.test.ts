import { gitOpsFixture } from '../support/e2e.js';
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { execOk } from '../../core/exec.js';
import { eventMessages } from '../support/control-plane.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import {
  createGpgSigner,
  createSshSigner,
  createX509Signer,
  sshSign,
  withGpgsig,
} from '../support/signing.js';
import { metricValue } from '../support/webhook.js';

// Real apiserver, real Git server over smart HTTP, commits signed by real git.
const { dir, cp, git, signer: ssh } = await gitOpsFixture(t);
const pgp = await createGpgSigner(join(dir, 'pgp'), 'Pat Ops', 'pat@example.com');
const x509 = await createX509Signer(join(dir, 'x509'), 'Xia Ops', 'xia@example.com');
const stranger = await createSshSigner(join(dir, 'stranger'), 'Mallory', 'mallory@example.com');

const repos = {
  ssh: await git.createRepo('cfg-ssh'),
  openpgp: await git.createRepo('cfg-pgp'),
  x509: await git.createRepo('cfg-x509'),
};
const signers = { ssh, openpgp: pgp, x509 };
const rec = await startTestReconciler(
  cp,
  Object.entries(repos).map(([kind, repo]) => ({
    name: `src-${kind}`,
    repoURL: repo.url,
    ref: 'main',
    path: 'app',
    destinationNamespace: `ns-${kind}`,
    createNamespace: true,
    verification: {
      mode: kind === 'ssh' ? 'strict' : 'head',
      ...trustOf(signers[kind as keyof typeof signers]),
    },
  })),
);
t.teardown(() => rec.stop());

const cmData = async (ns: string, name: string) =>
  (await cp.kubectl(['get', 'cm', name, '-n', ns, '-o', 'jsonpath={.data.v}'])).stdout;

for (const kind of ['ssh', 'openpgp', 'x509'] as const) {
  t.test(`${kind}: a signed commit is applied end to end`, async (t) => {
    const oid = await repos[kind].commit(
      { 'app/cm.yaml': configMap('settings', { v: 'one' }) },
      { signer: signers[kind] },
    );
    await rec.sync(`src-${kind}`);
    t.equal(await cmData(`ns-${kind}`, 'settings'), 'one', 'object applied');
    const st = await rec.status(`src-${kind}`);
    t.match(st, { revision: oid, syncStatus: 'Synced', verification: { ok: true } });
    t.match(st.signer, new RegExp(`^${kind}:`));
    const managers = (
      await cp.kubectl([
        'get',
        'cm',
        'settings',
        '-n',
        `ns-${kind}`,
        '-o',
        'jsonpath={.metadata.managedFields[*].manager}',
      ])
    ).stdout;
    t.match(managers, /driftgate/, 'applied with server-side apply by field manager driftgate');
  });
}

// Each refusal: nothing of the commit is applied, the previous revision stays, status and metric say why.
const repo = repos.ssh;
const src = 'src-ssh';
async function refused(t: Test, make: () => Promise<string>, reason: string) {
  const before = (await rec.status(src)).revision;
  const valueBefore = await cmData('ns-ssh', 'settings');
  const oid = await make();
  await rec.sync(src);
  const st = await rec.status(src);
  t.match(
    st,
    {
      revision: before,
      syncStatus: 'Unverified',
      verification: { ok: false, reason, commit: oid },
    },
    `refused: ${reason}`,
  );
  t.equal(await cmData('ns-ssh', 'settings'), valueBefore, 'previous revision still applied');
  t.ok(
    (metricValue(await rec.metrics(), 'driftgate_commit_verification_total', {
      source: src,
      result: reason,
    }) ?? 0) >= 1,
    `metric counts ${reason}`,
  );
  t.match(
    await eventMessages(cp, 'driftgate-system', 'CommitRefused'),
    reason,
    'a Kubernetes Event says why',
  );
}
const rewind = async () => {
  // Put the branch back on the verified revision so the next case starts clean.
  const good = String((await rec.status(src)).revision);
  await repo.git(['reset', '-q', '--hard', good]);
  await repo.git(['push', '-q', '-f', 'origin', 'HEAD:main']);
};

t.test('refused: an unsigned commit', async (t) => {
  await refused(
    t,
    () => repo.commit({ 'app/cm.yaml': configMap('settings', { v: 'unsigned' }) }, { author: ssh }),
    'unsigned',
  );
  await rewind();
});

t.test('refused: a commit signed by an unknown key', async (t) => {
  await refused(
    t,
    () =>
      repo.commit(
        { 'app/cm.yaml': configMap('settings', { v: 'stranger' }) },
        { signer: stranger },
      ),
    'unknown-key',
  );
  await rewind();
});

t.test('refused: a trusted key signing outside its bound identity', async (t) => {
  await refused(
    t,
    () =>
      repo.commit(
        { 'app/cm.yaml': configMap('settings', { v: 'impostor' }) },
        { signer: ssh, author: { name: 'Bob', email: 'bob@example.com' } },
      ),
    'identity-mismatch',
  );
  await rewind();
});

t.test('refused: a signature over different content', async (t) => {
  await refused(
    t,
    async () => {
      const signed = await repo.commit(
        { 'app/cm.yaml': configMap('settings', { v: 'two' }) },
        { signer: ssh, message: 'original' },
      );
      const raw = await repo.git(['cat-file', 'commit', signed]);
      const forged = (
        await execOk('git', ['-C', repo.work, 'hash-object', '-t', 'commit', '-w', '--stdin'], {
          input: raw.replace('original', 'forged'),
        })
      ).trim();
      await repo.git(['push', '-q', '-f', 'origin', `${forged}:refs/heads/main`]);
      return forged;
    },
    'bad-signature',
  );
  await rewind();
});

t.test('refused: an SSH signature made for another namespace', async (t) => {
  await refused(
    t,
    async () => {
      const base = await repo.commit(
        { 'app/cm.yaml': configMap('settings', { v: 'ns' }) },
        { author: ssh },
      );
      const payload = await repo.git(['cat-file', 'commit', base]);
      const oid = await repo.writeCommit(withGpgsig(payload, await sshSign(ssh, payload, 'file')));
      await repo.git(['push', '-q', '-f', 'origin', `${oid}:refs/heads/main`]);
      return oid;
    },
    'wrong-namespace',
  );
  await rewind();
});

t.test('refused: a force-pushed history', async (t) => {
  const good = await repo.commit(
    { 'app/cm.yaml': configMap('settings', { v: 'two' }) },
    { signer: ssh },
  );
  await rec.sync(src);
  t.equal(await cmData('ns-ssh', 'settings'), 'two', 'a signed fast-forward applies');
  await refused(
    t,
    async () => {
      await repo.git(['reset', '-q', '--hard', `${good}~1`]);
      return repo.commit(
        { 'app/cm.yaml': configMap('settings', { v: 'rewritten' }) },
        { signer: ssh, force: true },
      );
    },
    'rewritten-history',
  );
  await rewind();
});

t.test('strict mode refuses an unsigned commit buried under a signed head', async (t) => {
  await refused(
    t,
    async () => {
      await repo.commit(
        { 'app/other.yaml': configMap('other', { v: 'x' }) },
        { author: ssh, message: 'sneaky unsigned' },
      );
      return repo.commit(
        { 'app/cm.yaml': configMap('settings', { v: 'on top' }) },
        { signer: ssh },
      );
    },
    'unsigned',
  );
  await rewind();
  const next = await repo.commit(
    { 'app/cm.yaml': configMap('settings', { v: 'three' }) },
    { signer: ssh },
  );
  await rec.sync(src);
  t.match(
    await rec.status(src),
    { revision: next, syncStatus: 'Synced' },
    'a good signed commit after the refusals applies',
  );
  t.equal(await cmData('ns-ssh', 'settings'), 'three');
});
