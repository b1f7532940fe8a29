import type { PublicKey } from 'openpgp';
import type { Certificate } from 'pkijs';
import { parseCommit, type ParsedCommit } from './commit.js';
import { readPgpKeys, verifyPgp } from './openpgp.js';
import {
  parseAllowedSigners,
  parseSshSignature,
  sshSignatureValid,
  type AllowedSigner,
} from './ssh.js';
import { readTrustedCas, verifyX509 } from './x509.js';

/** Why a commit was refused. Stable strings: they label the verification metric. */
export const VerifyFailure = {
  unsigned: 'unsigned',
  unknownKey: 'unknown-key',
  badSignature: 'bad-signature',
  identityMismatch: 'identity-mismatch',
  wrongNamespace: 'wrong-namespace',
  rewrittenHistory: 'rewritten-history',
  malformed: 'malformed',
} as const;
export type VerifyFailure = (typeof VerifyFailure)[keyof typeof VerifyFailure];

/** Trust configuration for one source. Identities are committer emails; `*` matches anything. */
export interface TrustConfig {
  /** ssh-keygen allowed_signers text: principals bind each key to identities. */
  readonly sshAllowedSigners?: string;
  readonly openpgp?: readonly {
    readonly publicKey: string;
    readonly identities?: readonly string[];
  }[];
  /** Trusted CAs; the signer certificate's email must be the committer's. */
  readonly x509?: { readonly cas: readonly string[]; readonly identities?: readonly string[] };
}

export type Verdict =
  | {
      readonly ok: true;
      readonly kind: 'ssh' | 'openpgp' | 'x509';
      readonly signer: string;
      readonly commit: ParsedCommit;
    }
  | { readonly ok: false; readonly reason: VerifyFailure; readonly detail: string };

const globMatch = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(value);
const matchesAny = (patterns: readonly string[], email: string): boolean =>
  patterns.some((p) => globMatch(p, email));

const fail = (reason: VerifyFailure, detail: string): Verdict => ({ ok: false, reason, detail });

/** Verifies commit signatures against one source's trusted signers. Build once with create(). */
export class CommitVerifier {
  private constructor(
    private readonly ssh: readonly AllowedSigner[],
    private readonly pgp: readonly { key: PublicKey; identities?: readonly string[] }[],
    private readonly cas: readonly Certificate[],
    private readonly x509Identities: readonly string[] | undefined,
  ) {}

  /** Parse the trust configuration. Throws naming the unusable entry (a config error). */
  static async create(trust: TrustConfig): Promise<CommitVerifier> {
    const ssh = trust.sshAllowedSigners ? parseAllowedSigners(trust.sshAllowedSigners) : [];
    const keys = await readPgpKeys((trust.openpgp ?? []).map((k) => k.publicKey));
    const pgp = keys.map((key, i) => ({
      key,
      ...(trust.openpgp?.[i]?.identities ? { identities: trust.openpgp[i]?.identities } : {}),
    }));
    return new CommitVerifier(
      ssh,
      pgp,
      readTrustedCas(trust.x509?.cas ?? []),
      trust.x509?.identities,
    );
  }

  /** Verify one raw commit object. Never throws: a malformed commit is a failed verdict. */
  async verify(raw: Buffer | Uint8Array): Promise<Verdict> {
    let commit: ParsedCommit;
    try {
      commit = parseCommit(raw);
    } catch (err) {
      return fail(VerifyFailure.malformed, (err as Error).message);
    }
    const sig = commit.signature;
    const email = commit.committer.email;
    if (!sig) return fail(VerifyFailure.unsigned, `commit by ${email} is not signed`);
    if (sig.includes('-----BEGIN SSH SIGNATURE-----')) return this.#ssh(commit, sig, email);
    if (sig.includes('-----BEGIN PGP SIGNATURE-----')) return this.#pgp(commit, sig, email);
    if (sig.includes('-----BEGIN SIGNED MESSAGE-----')) return this.#x509(commit, sig, email);
    return fail(VerifyFailure.malformed, 'unrecognised signature format');
  }

  #ssh(commit: ParsedCommit, armored: string, email: string): Verdict {
    let sig;
    try {
      sig = parseSshSignature(armored);
    } catch (err) {
      return fail(VerifyFailure.badSignature, (err as Error).message);
    }
    const entries = this.ssh.filter((s) => s.publicKey.equals(sig.publicKey));
    if (entries.length === 0)
      return fail(VerifyFailure.unknownKey, 'SSH key is not in allowed_signers');
    if (sig.namespace !== 'git')
      return fail(
        VerifyFailure.wrongNamespace,
        `SSH signature made for namespace "${sig.namespace}", not "git"`,
      );
    if (!sshSignatureValid(sig, commit.payload))
      return fail(VerifyFailure.badSignature, 'SSH signature does not match the commit');
    const allowed = entries.find(
      (e) => (!e.namespaces || e.namespaces.includes('git')) && matchesAny(e.principals, email),
    );
    if (!allowed)
      return fail(
        VerifyFailure.identityMismatch,
        `trusted SSH key is not allowed to sign as ${email}`,
      );
    return { ok: true, kind: 'ssh', signer: `ssh:${allowed.principals.join(',')}`, commit };
  }

  async #pgp(commit: ParsedCommit, armored: string, email: string): Promise<Verdict> {
    const r = await verifyPgp(
      armored,
      commit.payload,
      this.pgp.map((k) => k.key),
    );
    if (!r.ok)
      return fail(
        r.reason,
        r.reason === 'unknown-key'
          ? 'OpenPGP key is not trusted'
          : 'OpenPGP signature does not match the commit',
      );
    const identities =
      this.pgp.find((k) => k.key.getFingerprint().toUpperCase() === r.fingerprint)?.identities ??
      r.emails;
    if (!matchesAny(identities, email))
      return fail(
        VerifyFailure.identityMismatch,
        `OpenPGP key ${r.fingerprint} is not allowed to sign as ${email}`,
      );
    return { ok: true, kind: 'openpgp', signer: `openpgp:${r.fingerprint}`, commit };
  }

  async #x509(commit: ParsedCommit, armored: string, email: string): Promise<Verdict> {
    const r = await verifyX509(armored, commit.payload, this.cas);
    if (!r.ok)
      return fail(
        r.reason,
        r.reason === 'unknown-key'
          ? 'X.509 signer does not chain to a trusted CA'
          : 'X.509 signature does not match the commit',
      );
    const certOwnsEmail = r.emails.some((e) => e.toLowerCase() === email.toLowerCase());
    if (!certOwnsEmail || (this.x509Identities && !matchesAny(this.x509Identities, email))) {
      return fail(
        VerifyFailure.identityMismatch,
        `X.509 certificate ${r.subject} is not allowed to sign as ${email}`,
      );
    }
    return { ok: true, kind: 'x509', signer: `x509:${r.subject}`, commit };
  }
}
