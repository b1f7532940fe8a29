import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificate, type CertifiedKey } from '../../webhook/tls/pki.js';
import { sha1Fingerprint, toPkcs12 } from './pkcs12.js';
import { execOk } from '../../core/exec.js';

export const SignatureKind = { ssh: 'ssh', openpgp: 'openpgp', x509: 'x509' } as const;
export type SignatureKind = (typeof SignatureKind)[keyof typeof SignatureKind];

/** A real key that real `git commit -S` signs with, plus what a verifier needs to trust it. */
export interface Signer {
  readonly kind: SignatureKind;
  readonly name: string;
  readonly email: string;
  /** `git -c` settings that make `git commit -S` sign with this key. */
  readonly gitConfig: readonly string[];
  /** Environment for git (GNUPGHOME for gpg and gpgsm). */
  readonly env: NodeJS.ProcessEnv;
  /** Trust material: SSH public key line, armored OpenPGP public key, or the X.509 leaf PEM. */
  readonly publicKey: string;
  /** X.509 only: the CA that issued the leaf. */
  readonly caPem?: string;
}

/** A git environment that trusts a set of signers, for `git verify-commit`. */
export interface TrustSetup {
  readonly gitConfig: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

function freshGnupgHome(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
  writeFileSync(join(dir, 'gpgsm.conf'), 'disable-crl-checks\n');
  writeFileSync(join(dir, 'gpg.conf'), 'pinentry-mode loopback\n');
  return dir;
}

const gnupgEnv = (home: string): NodeJS.ProcessEnv => ({ ...process.env, GNUPGHOME: home });

/** ed25519 SSH key made with ssh-keygen; signs with `gpg.format=ssh`. */
export async function createSshSigner(dir: string, name: string, email: string): Promise<Signer> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'id_ed25519');
  await execOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', email, '-f', key]);
  return {
    kind: SignatureKind.ssh,
    name,
    email,
    gitConfig: ['gpg.format=ssh', `user.signingkey=${key}`],
    env: { ...process.env },
    publicKey: readFileSync(`${key}.pub`, 'utf8').trim(),
  };
}

/** ed25519 OpenPGP key made with gpg in its own GNUPGHOME; signs with `gpg.format=openpgp`. */
export async function createGpgSigner(dir: string, name: string, email: string): Promise<Signer> {
  const home = freshGnupgHome(join(dir, 'gnupg'));
  const env = gnupgEnv(home);
  await execOk(
    'gpg',
    [
      '--batch',
      '--passphrase',
      '',
      '--quick-gen-key',
      `${name} <${email}>`,
      'ed25519',
      'sign',
      'never',
    ],
    { env },
  );
  const colons = await execOk('gpg', ['--batch', '--with-colons', '--list-secret-keys', email], {
    env,
  });
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
  if (!fpr) throw new Error(`gpg made no key for ${email}`);
  const publicKey = await execOk('gpg', ['--batch', '--armor', '--export', fpr], { env });
  return {
    kind: SignatureKind.openpgp,
    name,
    email,
    gitConfig: ['gpg.format=openpgp', `user.signingkey=${fpr}`],
    env,
    publicKey,
  };
}

/**
 * X.509 leaf issued by `ca` (made here when absent), imported into gpgsm in its own GNUPGHOME;
 * signs with `gpg.format=x509`.
 */
export async function createX509Signer(
  dir: string,
  name: string,
  email: string,
  ca: CertifiedKey = createCertificate({ commonName: 'driftgate test signing CA', usage: 'ca' }),
): Promise<Signer> {
  const home = freshGnupgHome(join(dir, 'gnupgsm'));
  const env = gnupgEnv(home);
  const leaf = createCertificate({
    commonName: name,
    organizations: ['driftgate test'],
    emails: [email],
    usage: 'signing',
    issuer: ca,
  });
  await trustX509(home, [ca.certPem]);
  const p12 = join(dir, 'signer.p12');
  // An empty passphrase, so that git can sign without a prompt. gpgsm tries several encodings of
  // an empty PKCS#12 password; now and then (about one import in a few hundred) a wrong one
  // decrypts to bytes whose padding looks valid and the import fails. A new PKCS#12 (fresh salt)
  // of the same key and certificate imports on the next try.
  for (let attempt = 1; ; attempt++) {
    writeFileSync(p12, toPkcs12(leaf, [ca.certPem], ''), { mode: 0o600 });
    try {
      await execOk(
        'gpgsm',
        ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', p12],
        { env, input: '\n' },
      );
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
  return {
    kind: SignatureKind.x509,
    name,
    email,
    gitConfig: [
      'gpg.format=x509',
      `user.signingkey=${sha1Fingerprint(leaf.certPem).replaceAll(':', '')}`,
    ],
    env,
    publicKey: leaf.certPem,
    caPem: ca.certPem,
  };
}

async function trustX509(home: string, caPems: readonly string[]): Promise<void> {
  const env = gnupgEnv(home);
  for (const pem of caPems) await execOk('gpgsm', ['--batch', '--import'], { env, input: pem });
  writeFileSync(
    join(home, 'trustlist.txt'),
    caPems.map((p) => `${sha1Fingerprint(p)} S relax\n`).join(''),
  );
}

/**
 * A git environment that trusts exactly `signers` (SSH allowed_signers for namespace "git",
 * an OpenPGP keyring, a gpgsm trust list of their CAs) in a fresh directory.
 */
export async function trustSetup(dir: string, signers: readonly Signer[]): Promise<TrustSetup> {
  const home = freshGnupgHome(join(dir, 'trust-gnupg'));
  const env = gnupgEnv(home);
  const allowed = join(dir, 'allowed_signers');
  const ssh = signers.filter((s) => s.kind === SignatureKind.ssh);
  writeFileSync(allowed, ssh.map((s) => `${s.email} namespaces="git" ${s.publicKey}\n`).join(''));
  for (const s of signers.filter((x) => x.kind === SignatureKind.openpgp)) {
    await execOk('gpg', ['--batch', '--import'], { env, input: s.publicKey });
  }
  const cas = signers.flatMap((s) => (s.kind === SignatureKind.x509 && s.caPem ? [s.caPem] : []));
  if (cas.length > 0) await trustX509(home, [...new Set(cas)]);
  return { gitConfig: [`gpg.ssh.allowedSignersFile=${allowed}`], env };
}

/** Sign `payload` with an SSH signer for `namespace` (ssh-keygen -Y sign); the armored signature. */
export async function sshSign(signer: Signer, payload: string, namespace: string): Promise<string> {
  const key =
    signer.gitConfig
      .find((c) => c.startsWith('user.signingkey='))
      ?.slice('user.signingkey='.length) ?? '';
  return execOk('ssh-keygen', ['-q', '-Y', 'sign', '-f', key, '-n', namespace], { input: payload });
}

/** A commit object's text with `armored` inserted as its gpgsig header (for crafted commits). */
export function withGpgsig(payload: string, armored: string): string {
  const [first, ...more] = armored.trimEnd().split('\n');
  const [headers, ...rest] = payload.split('\n\n');
  return `${headers}\ngpgsig ${first}\n${more.map((l) => ` ${l}`).join('\n')}\n\n${rest.join('\n\n')}`;
}
