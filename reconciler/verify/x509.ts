import { X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { pemBody, readCertificate, toArrayBuffer } from '../../core/x509.js';

export type X509Check =
  | {
      readonly ok: true;
      readonly subject: string;
      readonly emails: readonly string[];
      readonly fingerprint: string;
    }
  | { readonly ok: false; readonly reason: 'unknown-key' | 'bad-signature' };

/** Parse trusted CA certificates once. Throws naming the problem. */
export function readTrustedCas(pems: readonly string[]): pkijs.Certificate[] {
  return pems.map((pem) => {
    try {
      return readCertificate(pem);
    } catch {
      throw new Error('trusted X.509 CA is not a PEM certificate');
    }
  });
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
