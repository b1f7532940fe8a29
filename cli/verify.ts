// `driftgate verify <repoURL> <ref> --trust <file>`: the reconciler's signature check, by hand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrust } from '../reconciler/config/source.js';
import { readConfigInputs, trustFiles } from '../reconciler/config/inputs.js';
import { isObject } from '../core/object.js';
import { GitSource } from '../reconciler/source/git-source.js';
import { CommitVerifier } from '../reconciler/verify/verifier.js';
import { str, type CliArgs } from './args.js';
import { emit, formatOf, readYaml } from './output.js';

export const VERIFY_USAGE = `driftgate verify <repoURL> <ref> --trust <file> [-o text|json|yaml]

Fetches <ref> (branch, tag or commit) of the repository over HTTP(S) and checks the signature of
its commit exactly as the reconciler does. <file> is YAML in the shape of a source's
verification block: sshAllowedSigners[File], openpgp: [{ publicKey[File], identities }],
x509: { cas, caFiles, identities }.
Exit codes: 0 signed by a trusted signer, 1 refused (the reason is printed), 2 unusable input.`;

export async function verify(a: CliArgs): Promise<number> {
  const [url, ref] = a.positionals;
  const file = str(a, 'trust');
  if (!url || !ref || !file) {
    console.error(
      `driftgate verify: ${!url || !ref ? 'name the repository and the ref' : '--trust <file> is required'}\n\n${VERIFY_USAGE}`,
    );
    return 2;
  }
  const read = readYaml('verify', file, '');
  if (!read) return 2;
  const raw = read.value;
  const problems: string[] = [];
  const inputs = readConfigInputs(isObject(raw) ? trustFiles(raw) : []);
  const trusted = parseTrust(raw, file, problems, inputs);
  if (problems.length > 0) {
    console.error(`driftgate verify: ${problems.join('; ')}`);
    return 2;
  }
  const cache = mkdtempSync(join(tmpdir(), 'driftgate-verify-'));
  try {
    const git = new GitSource({ url, ref, cacheDir: cache });
    let commit: string;
    try {
      commit = (await git.fetch()).commit;
    } catch (err) {
      console.error(`driftgate verify: cannot fetch ${ref} from ${url}: ${(err as Error).message}`);
      return 2;
    }
    const verifier = await CommitVerifier.create(trusted);
    const v = await verifier.verify(await git.rawCommit(commit));
    const format = formatOf(a);
    if (format !== 'text') {
      emit(
        format,
        v.ok
          ? { commit, verified: true, signer: v.signer }
          : { commit, verified: false, reason: v.reason, detail: v.detail },
      );
      return v.ok ? 0 : 1;
    }
    if (v.ok) {
      console.log(`verified: ${commit} signed by ${v.signer}`);
      return 0;
    }
    console.log(`refused: ${commit} (${v.reason}): ${v.detail}`);
    return 1;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
