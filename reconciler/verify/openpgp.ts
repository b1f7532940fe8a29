import * as openpgp from 'openpgp';

export type PgpCheck =
  | { readonly ok: true; readonly fingerprint: string; readonly emails: readonly string[] }
  | { readonly ok: false; readonly reason: 'unknown-key' | 'bad-signature' };

/** Parse armored public keys once (throws naming the problem for an unreadable key). */
export async function readPgpKeys(armored: readonly string[]): Promise<openpgp.PublicKey[]> {
  return Promise.all(armored.map((armoredKey) => openpgp.readKey({ armoredKey })));
}

/**
 * Verify a detached armored OpenPGP signature over `payload` against `keys`. Distinguishes a
 * key we do not trust from a signature that does not match. Never throws for bad signatures.
 */
export async function verifyPgp(
  armoredSignature: string,
  payload: Buffer,
  keys: readonly openpgp.PublicKey[],
): Promise<PgpCheck> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch {
    return { ok: false, reason: 'bad-signature' };
  }
  const ids = signature.getSigningKeyIDs().map((id) => id.toHex());
  const key = keys.find((k) => k.getKeyIDs().some((kid) => ids.includes(kid.toHex())));
  if (!key) return { ok: false, reason: 'unknown-key' };
  try {
    const message = await openpgp.createMessage({ binary: payload });
    const { signatures } = await openpgp.verify({
      message,
      signature,
      verificationKeys: [key],
      format: 'binary',
    });
    await signatures[0]?.verified;
    if (!signatures[0]) return { ok: false, reason: 'bad-signature' };
  } catch {
    return { ok: false, reason: 'bad-signature' };
  }
  const emails = key.getUserIDs().flatMap((u) => /<([^>]+)>/.exec(u)?.[1] ?? []);
  return { ok: true, fingerprint: key.getFingerprint().toUpperCase(), emails };
}
