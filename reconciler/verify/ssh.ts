import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Read SSH wire-format strings (uint32 length + bytes). */
class Wire {
  #at = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    if (this.#at + n > this.buf.length) throw new Error('truncated SSH data');
    const out = this.buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  string(): Buffer {
    return this.bytes(this.bytes(4).readUInt32BE(0));
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
}

const sshString = (b: Buffer | string): Buffer => {
  const data = Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
};

const b64url = (b: Buffer): string => b.toString('base64url');
const unsigned = (b: Buffer): Buffer => (b[0] === 0 ? b.subarray(1) : b);

const CURVES: Record<string, { crv: string; hash: string; size: number }> = {
  nistp256: { crv: 'P-256', hash: 'sha256', size: 32 },
  nistp384: { crv: 'P-384', hash: 'sha384', size: 48 },
  nistp521: { crv: 'P-521', hash: 'sha512', size: 66 },
};

interface SshKey {
  readonly type: string;
  readonly key: KeyObject;
  readonly curve?: (typeof CURVES)[string];
}

/** Parse an SSH public key blob (wire format) into a node:crypto key. Throws on other types. */
export function parseSshPublicKey(blob: Buffer): SshKey {
  const w = new Wire(blob);
  const type = w.string().toString();
  if (type === 'ssh-ed25519') {
    return {
      type,
      key: createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: b64url(w.string()) },
        format: 'jwk',
      }),
    };
  }
  if (type === 'ssh-rsa') {
    const e = unsigned(w.string());
    const n = unsigned(w.string());
    return {
      type,
      key: createPublicKey({ key: { kty: 'RSA', e: b64url(e), n: b64url(n) }, format: 'jwk' }),
    };
  }
  if (type.startsWith('ecdsa-sha2-')) {
    const curve = CURVES[w.string().toString()];
    const q = w.string();
    if (!curve || q[0] !== 4) throw new Error(`unsupported ECDSA key ${type}`);
    const half = (q.length - 1) / 2;
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: curve.crv,
        x: b64url(q.subarray(1, 1 + half)),
        y: b64url(q.subarray(1 + half)),
      },
      format: 'jwk',
    });
    return { type, key, curve };
  }
  throw new Error(`unsupported SSH key type ${type}`);
}

/** An sshsig signature, parsed. */
export interface SshSignature {
  readonly publicKey: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: string;
  readonly sigType: string;
  readonly sig: Buffer;
}

/** Parse an armored `-----BEGIN SSH SIGNATURE-----` block. Throws on anything else. */
export function parseSshSignature(armored: string): SshSignature {
  const body = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/.exec(
    armored,
  )?.[1];
  if (!body) throw new Error('not an SSH signature');
  const w = new Wire(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
  if (w.bytes(6).toString() !== 'SSHSIG') throw new Error('SSH signature lacks the SSHSIG magic');
  if (w.uint32() !== 1) throw new Error('unsupported SSH signature version');
  const publicKey = Buffer.from(w.string());
  const namespace = w.string().toString();
  w.string(); // reserved
  const hashAlgorithm = w.string().toString();
  const sw = new Wire(w.string());
  return {
    publicKey,
    namespace,
    hashAlgorithm,
    sigType: sw.string().toString(),
    sig: Buffer.from(sw.string()),
  };
}

/** Check an sshsig over `message` cryptographically (namespace and trust are the caller's). */
export function sshSignatureValid(sig: SshSignature, message: Buffer): boolean {
  if (sig.hashAlgorithm !== 'sha512' && sig.hashAlgorithm !== 'sha256') return false;
  const digest = createHash(sig.hashAlgorithm).update(message).digest();
  const signed = Buffer.concat([
    Buffer.from('SSHSIG'),
    sshString(sig.namespace),
    sshString(''),
    sshString(sig.hashAlgorithm),
    sshString(digest),
  ]);
  const key = parseSshPublicKey(sig.publicKey);
  try {
    if (key.type === 'ssh-ed25519') return verify(null, signed, key.key, sig.sig);
    if (key.type === 'ssh-rsa') {
      const hash =
        sig.sigType === 'rsa-sha2-512'
          ? 'sha512'
          : sig.sigType === 'rsa-sha2-256'
            ? 'sha256'
            : undefined;
      return hash !== undefined && verify(hash, signed, key.key, sig.sig);
    }
    const curve = key.curve;
    if (!curve) return false;
    const w = new Wire(sig.sig);
    const pad = (b: Buffer): Buffer =>
      Buffer.concat([Buffer.alloc(Math.max(0, curve.size - unsigned(b).length)), unsigned(b)]);
    const rs = Buffer.concat([pad(w.string()), pad(w.string())]);
    return verify(curve.hash, signed, { key: key.key, dsaEncoding: 'ieee-p1363' }, rs);
  } catch {
    return false;
  }
}

/** One line of an allowed_signers file. */
export interface AllowedSigner {
  readonly principals: readonly string[];
  /** namespaces="…" option; undefined means any. */
  readonly namespaces?: readonly string[];
  readonly publicKey: Buffer;
}

/**
 * Parse ssh-keygen's allowed_signers format: `principals [options] keytype base64 [comment]`.
 * Throws naming the line of the first malformed entry.
 */
export function parseAllowedSigners(text: string): AllowedSigner[] {
  const out: AllowedSigner[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const tokens = line.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
    const keyAt = tokens.findIndex((t) => /^(ssh-|ecdsa-|sk-)/.test(t));
    const blob = tokens[keyAt + 1];
    if (keyAt < 1 || !blob)
      throw new Error(`allowed_signers line ${i + 1}: expected "principals [options] keytype key"`);
    const principals = (tokens[0] ?? '').split(',');
    const nsOpt = tokens
      .slice(1, keyAt)
      .join(',')
      .match(/namespaces="([^"]*)"/)?.[1];
    out.push({
      principals,
      ...(nsOpt === undefined ? {} : { namespaces: nsOpt.split(',') }),
      publicKey: Buffer.from(blob, 'base64'),
    });
  });
  return out;
}
