// Test-only: gpgsm imports a signing key as PKCS#12. node-forge (a devDependency) writes the 3DES
// form GnuPG 2.2's gpgsm reads; the product never loads it.
import forge from 'node-forge';
import { X509Certificate } from 'node:crypto';
import type { CertifiedKey } from '../../webhook/tls/pki.js';

/** PKCS#12 (DER) holding the key and chain, encrypted with 3DES. */
export function toPkcs12(key: CertifiedKey, chain: readonly string[], password: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(key.keyPem),
    [key.certPem, ...chain].map((pem) => forge.pki.certificateFromPem(pem)),
    password,
    { algorithm: '3des', generateLocalKeyId: true },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** SHA-1 fingerprint of a PEM certificate, upper-case hex with colons (gpgsm trustlist form). */
export const sha1Fingerprint = (certPem: string): string =>
  new X509Certificate(certPem).fingerprint;
