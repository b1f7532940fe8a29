// The project's one X.509 stack: pkijs (over asn1js) with Node's crypto. Certificates are built
// here (webhook/tls) and CMS signatures verified with it (reconciler/verify).
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

pkijs.setEngine(
  'node',
  new pkijs.CryptoEngine({
    name: 'node',
    crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'],
  }),
);

export { pkijs };

/** The DER inside a PEM block with this label, if there is one. */
export const pemBody = (pem: string, label: string): Buffer | undefined => {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  return m?.[1] ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64') : undefined;
};

/** PEM text of DER bytes. */
export const toPem = (der: Uint8Array, label: string): string =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;

export const toArrayBuffer = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** A PEM certificate as pkijs reads it. Throws naming the problem. */
export function readCertificate(pem: string): pkijs.Certificate {
  const der = pemBody(pem, 'CERTIFICATE');
  if (!der) throw new Error('not a PEM certificate');
  return pkijs.Certificate.fromBER(toArrayBuffer(der));
}
