import forge from 'node-forge';
import { randomBytes } from 'node:crypto';

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  readonly certPem: string;
  readonly keyPem: string;
}

export const CertUsage = {
  server: 'server',
  client: 'client',
  ca: 'ca',
  /** S/MIME-style signing (X.509-signed Git commits). */
  signing: 'signing',
} as const;
export type CertUsage = (typeof CertUsage)[keyof typeof CertUsage];

/** What a certificate says about its subject. */
export interface CertificateOptions {
  readonly commonName: string;
  /** Subject O= values; Kubernetes reads them as the user's groups. @default [] */
  readonly organizations?: readonly string[];
  readonly usage: CertUsage;
  /** Subject alternative DNS names (server certificates). @default [] */
  readonly dnsNames?: readonly string[];
  /** Subject alternative IP addresses (server certificates). @default [] */
  readonly ipAddresses?: readonly string[];
  /** Subject alternative rfc822 names (signing certificates). @default [] */
  readonly emails?: readonly string[];
  /** The CA that signs it; self-signed when absent. */
  readonly issuer?: CertifiedKey;
  /** @default 365 */
  readonly validityDays?: number;
  /** Start of validity. @default one hour ago (tolerates clock skew) */
  readonly notBefore?: Date;
  /** RSA modulus size. @default 2048 */
  readonly keyBits?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Create an RSA key and an X.509 certificate for it, signed by `issuer` or self-signed.
 * Key generation uses Node's native crypto through node-forge, so it is fast. Throws only on
 * malformed issuer PEM; not worth retrying.
 */
export function createCertificate(options: CertificateOptions): CertifiedKey {
  const keys = forge.pki.rsa.generateKeyPair({ bits: options.keyBits ?? 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive serial: the top bit cleared so DER does not read it as negative.
  cert.serialNumber = '0' + randomBytes(16).toString('hex').slice(1);
  const notBefore = options.notBefore ?? new Date(Date.now() - HOUR_MS);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(
    notBefore.getTime() + (options.validityDays ?? 365) * 24 * HOUR_MS,
  );
  const subject = subjectAttributes(options);
  cert.setSubject(subject);
  const issuer = options.issuer;
  const issuerCert = issuer ? forge.pki.certificateFromPem(issuer.certPem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  cert.setExtensions(extensionsFor(options, issuerCert));
  const signingKey = issuer ? forge.pki.privateKeyFromPem(issuer.keyPem) : keys.privateKey;
  cert.sign(signingKey, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

function subjectAttributes(options: CertificateOptions): forge.pki.CertificateField[] {
  return [
    { name: 'commonName', value: options.commonName },
    ...(options.organizations ?? []).map((o) => ({ name: 'organizationName', value: o })),
  ];
}

function extensionsFor(
  options: CertificateOptions,
  issuerCert: forge.pki.Certificate | undefined,
): object[] {
  const isCA = options.usage === CertUsage.ca;
  const extensions: object[] = [
    { name: 'basicConstraints', cA: isCA, critical: true },
    isCA
      ? {
          name: 'keyUsage',
          keyCertSign: true,
          cRLSign: true,
          digitalSignature: true,
          critical: true,
        }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (issuerCert) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(issuerCert) });
  }
  if (!isCA) {
    extensions.push({
      name: 'extKeyUsage',
      serverAuth: options.usage === CertUsage.server,
      clientAuth: options.usage === CertUsage.client,
      emailProtection: options.usage === CertUsage.signing,
    });
  }
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
    ...(options.emails ?? []).map((value) => ({ type: 1, value })),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  return extensions;
}

function keyIdentifier(cert: forge.pki.Certificate): string {
  return forge.pki.getPublicKeyFingerprint(cert.publicKey, {
    md: forge.md.sha1.create(),
    encoding: 'binary',
  }) as unknown as string;
}

/**
 * PKCS#12 (DER) holding the key and chain, encrypted with 3DES: GnuPG 2.2's gpgsm cannot read
 * the PBES2/AES files that current OpenSSL writes by default.
 */
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
export function sha1Fingerprint(certPem: string): string {
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem)));
  const hex = forge.md.sha1.create().update(der.getBytes()).digest().toHex().toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}
