import { webcrypto, X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';

pkijs.setEngine(
  'node',
  new pkijs.CryptoEngine({
    name: 'node',
    crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'],
  }),
);

export type X509Check =
  | {
      readonly ok: true;
      readonly subject: string;
      readonly emails: readonly string[];
      readonly fingerprint: string;
    }
  | { readonly ok: false; readonly reason: 'unknown-key' | 'bad-signature' };

const pemBody = (pem: string, label: string): Buffer | undefined => {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  return m?.[1] ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64') : undefined;
};

const toArrayBuffer = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function pkijsCert(pem: string): pkijs.Certificate {
  const der = pemBody(pem, 'CERTIFICATE');
  if (!der) throw new Error('trusted X.509 CA is not a PEM certificate');
  return pkijs.Certificate.fromBER(toArrayBuffer(der));
}

/** Parse trusted CA certificates once. Throws naming the problem. */
export function readTrustedCas(pems: readonly string[]): pkijs.Certificate[] {
  return pems.map(pkijsCert);
}

/**
 * Verify a detached CMS signature (what gpgsm writes: `-----BEGIN SIGNED MESSAGE-----`) over
 * `payload`, with the signer's chain ending at one of `cas`. Never throws for bad signatures.
 */
export async function verifyX509(
  armored: string,
  payload: Buffer,
  cas: readonly pkijs.Certificate[],
): Promise<X509Check> {
  const der = pemBody(armored, 'SIGNED MESSAGE');
  if (!der) return { ok: false, reason: 'bad-signature' };
  let signed: pkijs.SignedData;
  try {
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    signed = new pkijs.SignedData({ schema: info.content });
  } catch {
    return { ok: false, reason: 'bad-signature' };
  }
  let result: pkijs.SignedDataVerifyResult;
  try {
    result = await signed.verify({
      signer: 0,
      data: toArrayBuffer(payload),
      trustedCerts: [...cas],
      checkChain: true,
      extendedMode: true,
    });
  } catch (err) {
    const r = err as pkijs.SignedDataVerifyResult;
    // Codes 3-5: the signer's certificate is missing or does not chain to a trusted CA.
    return {
      ok: false,
      reason:
        typeof r?.code === 'number' && r.code >= 3 && r.code <= 5 ? 'unknown-key' : 'bad-signature',
    };
  }
  if (!result.signatureVerified || !result.signerCertificate)
    return { ok: false, reason: 'bad-signature' };
  const cert = new X509Certificate(Buffer.from(result.signerCertificate.toSchema().toBER(false)));
  const emails = (cert.subjectAltName ?? '')
    .split(', ')
    .flatMap((s) => (s.startsWith('email:') ? [s.slice(6)] : []));
  return {
    ok: true,
    subject: cert.subject.replace(/\n/g, ','),
    emails,
    fingerprint: cert.fingerprint256,
  };
}
