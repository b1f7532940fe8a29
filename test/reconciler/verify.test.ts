import t from 'tap';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { parseCommit } from '../../reconciler/verify/commit.js';
import { CommitVerifier } from '../../reconciler/verify/verifier.js';
import { startGitServer, type GitRepo } from '../support/git-server.js';
import { trustOf } from '../support/reconciler.js';
import {
  createGpgSigner,
  createSshSigner,
  createX509Signer,
  sshSign,
  withGpgsig,
} from '../support/signing.js';

const dir = mkdtempSync(join(tmpdir(), 'dg-verify-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const server = await startGitServer();
t.teardown(() => server.stop());

const raw = async (repo: GitRepo, oid: string): Promise<Buffer> =>
  Buffer.from(
    (await git.readObject({ fs, dir: repo.work, oid, format: 'content' })).object as Uint8Array,
  );

const makers = { ssh: createSshSigner, openpgp: createGpgSigner, x509: createX509Signer } as const;

for (const [kind, make] of Object.entries(makers)) {
  t.test(`${kind}: real signatures verified from the raw commit object`, async (t) => {
    const repo = await server.createRepo(`v-${kind}`);
    const alice = await make(join(dir, `${kind}-alice`), 'Alice', 'alice@example.com');
    const mallory = await make(join(dir, `${kind}-mallory`), 'Mallory', 'mallory@example.com');
    const verifier = await CommitVerifier.create(trustOf(alice));

    const good = await repo.commit(
      { 'a.yaml': 'a: 1\n' },
      { signer: alice, message: 'signed\n\nwith a body' },
    );
    t.match(
      await verifier.verify(await raw(repo, good)),
      { ok: true, kind, commit: { committer: { email: 'alice@example.com' } } },
      'trusted signature',
    );

    const unsigned = await repo.commit(
      { 'a.yaml': 'a: 2\n' },
      { author: { name: 'Alice', email: 'alice@example.com' } },
    );
    t.match(await verifier.verify(await raw(repo, unsigned)), { ok: false, reason: 'unsigned' });

    const foreign = await repo.commit({ 'a.yaml': 'a: 3\n' }, { signer: mallory });
    t.match(await verifier.verify(await raw(repo, foreign)), { ok: false, reason: 'unknown-key' });

    // The same signature over different content: change the message, keep the gpgsig header.
    const tampered = await repo.writeCommit(
      (await raw(repo, good)).toString().replace('with a body', 'with another body'),
    );
    t.match(await verifier.verify(await raw(repo, tampered)), {
      ok: false,
      reason: 'bad-signature',
    });

    // Alice's trusted key signing a commit that claims to be Bob's.
    const impostor = await repo.commit(
      { 'a.yaml': 'a: 4\n' },
      { signer: alice, author: { name: 'Bob', email: 'bob@example.com' } },
    );
    t.match(await verifier.verify(await raw(repo, impostor)), {
      ok: false,
      reason: 'identity-mismatch',
    });
  });
}

t.test('ssh: a signature made for another namespace is refused', async (t) => {
  const repo = await server.createRepo('v-ns');
  const alice = await createSshSigner(join(dir, 'ns-alice'), 'Alice', 'alice@example.com');
  const verifier = await CommitVerifier.create(trustOf(alice));
  const base = await repo.commit({ 'a.yaml': 'a: 1\n' }, { author: alice });
  const payload = (await raw(repo, base)).toString();
  const crafted = withGpgsig(payload, await sshSign(alice, payload, 'file'));
  const oid = await repo.writeCommit(crafted);
  t.match(await verifier.verify(await raw(repo, oid)), { ok: false, reason: 'wrong-namespace' });
});

t.test('identities can be patterns, and one trust config holds all kinds', async (t) => {
  const repo = await server.createRepo('v-mixed');
  const ssh = await createSshSigner(join(dir, 'm-ssh'), 'Sam', 'sam@team.example');
  const pgp = await createGpgSigner(join(dir, 'm-pgp'), 'Pat', 'pat@team.example');
  const verifier = await CommitVerifier.create({
    ...trustOf(ssh, ['*@team.example']),
    ...trustOf(pgp, ['*@team.example']),
  });
  for (const s of [ssh, pgp]) {
    const oid = await repo.commit({ [`${s.kind}.yaml`]: 'x: 1\n' }, { signer: s });
    t.match(await verifier.verify(await raw(repo, oid)), { ok: true, kind: s.kind });
  }
});

t.test('parseCommit keeps every header but the signature in the payload', async (t) => {
  const text =
    'tree abc\nparent p1\nparent p2\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 2 +0000\nmergetag object x\n type commit\ngpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\n\nmsg\n';
  const c = parseCommit(Buffer.from(text));
  t.same(c.parents, ['p1', 'p2']);
  t.equal(c.committer.email, 'c@x');
  t.equal(
    c.payload.toString(),
    'tree abc\nparent p1\nparent p2\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 2 +0000\nmergetag object x\n type commit\n\nmsg\n',
  );
  t.match(c.signature, /^-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n$/);
  t.throws(() => parseCommit(Buffer.from('tree x\n\nmsg')), /no author header/);
});
