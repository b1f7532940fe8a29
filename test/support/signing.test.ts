import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import { startGitServer } from './git-server.js';
import {
  createGpgSigner,
  createSshSigner,
  createX509Signer,
  trustSetup,
  type Signer,
} from './signing.js';

const makers = {
  ssh: createSshSigner,
  openpgp: createGpgSigner,
  x509: createX509Signer,
} as const;

async function verify(
  work: string,
  oid: string,
  trust: { gitConfig: readonly string[]; env: NodeJS.ProcessEnv },
) {
  return exec(
    'git',
    ['-C', work, ...trust.gitConfig.flatMap((c) => ['-c', c]), 'verify-commit', '--raw', oid],
    {
      env: trust.env,
    },
  );
}

for (const [kind, make] of Object.entries(makers)) {
  t.test(
    `${kind}: real git signs, verify-commit accepts it with trust and refuses the rest`,
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), `dg-sign-${kind}-`));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const server = await startGitServer();
      t.teardown(() => server.stop());
      const repo = await server.createRepo(`signed-${kind}`);

      const signer: Signer = await make(join(dir, 'alice'), 'Alice Admin', 'alice@example.com');
      const stranger: Signer = await make(join(dir, 'mallory'), 'Mallory', 'mallory@example.com');
      t.equal(signer.kind, kind);
      const trusted = await trustSetup(join(dir, 'trust'), [signer]);

      const signed = await repo.commit({ 'a.yaml': 'a: 1\n' }, { signer, message: 'signed' });
      const raw = await repo.git(['cat-file', 'commit', signed]);
      t.match(raw, /^gpgsig /m, 'the commit object carries a signature');
      const good = await verify(repo.work, signed, trusted);
      t.equal(good.code, 0, `trusted ${kind} signature verifies: ${good.stderr}`);

      const unsigned = await repo.commit({ 'a.yaml': 'a: 2\n' }, { message: 'unsigned' });
      t.not(
        (await verify(repo.work, unsigned, trusted)).code,
        0,
        'unsigned commit fails verify-commit',
      );

      const foreign = await repo.commit(
        { 'a.yaml': 'a: 3\n' },
        { signer: stranger, message: 'stranger' },
      );
      t.not(
        (await verify(repo.work, foreign, trusted)).code,
        0,
        'a key outside the trust setup fails',
      );
    },
  );
}
