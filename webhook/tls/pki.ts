import * as asn1js from 'asn1js';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import * as pkijs from 'pkijs';
import { readCertificate, toArrayBuffer, toPem } from '../../core/x509.js';

/** A certificate and its private key, both PEM (the key PKCS#8). */
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
const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

const attribute = (type: string, value: string) =>
  new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) });

const extension = (extnID: string, critical: boolean, der: ArrayBuffer) =>
  new pkijs.Extension({ extnID, critical, extnValue: der });

const schemaDer = (v: { toSchema(): asn1js.AsnType }) => v.toSchema().toBER(false);

/** CN=…, O=… as one RDN each (not one multi-valued RDN): `O=dev, O=ops` read as two groups. */
function subjectName(o: CertificateOptions): pkijs.RelativeDistinguishedNames {
  const rdns = [
    attribute(OID.commonName, o.commonName),
    ...(o.organizations ?? []).map((v) => attribute(OID.organization, v)),
  ].map((a) => new asn1js.Set({ value: [a.toSchema()] }));
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER());
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280's key identifier, method 1). */
const keyId = (cert: pkijs.Certificate): ArrayBuffer =>
  toArrayBuffer(
    createHash('sha1')
      .update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
      .digest(),
  );

/** keyUsage bits: digitalSignature (0), keyEncipherment (2), keyCertSign (5), cRLSign (6). */
function keyUsage(isCA: boolean): asn1js.BitString {
  const bits = isCA ? 0b1000_0110 : 0b1010_0000;
  return new asn1js.BitString({
    valueHex: new Uint8Array([bits]).buffer,
    unusedBits: isCA ? 1 : 5,
  });
}

/** The bytes of an IPv4 or IPv6 address. */
function ipBytes(a: string): Uint8Array {
  if (isIP(a) === 4) return Uint8Array.from(a.split('.').map(Number));
  const [head = '', tail = ''] = a.split('::');
  const groups = (x: string) => (x ? x.split(':') : []);
  const fill = 8 - groups(head).length - groups(tail).length;
  const all = [
    ...groups(head),
    ...Array<string>(a.includes('::') ? fill : 0).fill('0'),
    ...groups(tail),
  ];
  return Uint8Array.from(Buffer.from(all.map((g) => g.padStart(4, '0')).join(''), 'hex'));
}

function altNames(o: CertificateOptions): pkijs.GeneralName[] {
  return [
    ...(o.dnsNames ?? []).map((value) => new pkijs.GeneralName({ type: 2, value })),
    ...(o.ipAddresses ?? []).map(
      (a) =>
        new pkijs.GeneralName({
          type: 7,
          value: new asn1js.OctetString({ valueHex: toArrayBuffer(ipBytes(a)) }),
        }),
    ),
    ...(o.emails ?? []).map((value) => new pkijs.GeneralName({ type: 1, value })),
  ];
}

function extensionsFor(o: CertificateOptions, cert: pkijs.Certificate, issuer?: pkijs.Certificate) {
  const isCA = o.usage === CertUsage.ca;
  const purpose = { server: OID.serverAuth, client: OID.clientAuth, signing: OID.emailProtection };
  const names = altNames(o);
  return [
    extension(OID.basicConstraints, true, schemaDer(new pkijs.BasicConstraints({ cA: isCA }))),
    extension(OID.keyUsage, true, keyUsage(isCA).toBER(false)),
    extension(
      OID.subjectKeyId,
      false,
      new asn1js.OctetString({ valueHex: keyId(cert) }).toBER(false),
    ),
    ...(issuer
      ? [
          extension(
            OID.authorityKeyId,
            false,
            schemaDer(
              new pkijs.AuthorityKeyIdentifier({
                keyIdentifier: new asn1js.OctetString({ valueHex: keyId(issuer) }),
              }),
            ),
          ),
        ]
      : []),
    ...(o.usage === CertUsage.ca
      ? []
      : [
          extension(
            OID.extKeyUsage,
            false,
            schemaDer(new pkijs.ExtKeyUsage({ keyPurposes: [purpose[o.usage]] })),
          ),
        ]),
    ...(names.length > 0
      ? [extension(OID.subjectAltName, false, schemaDer(new pkijs.AltName({ altNames: names })))]
      : []),
  ];
}

/**
 * 16 random bytes as a minimal positive DER INTEGER: the first byte is 0x01–0x7f, so the top bit
 * is clear (not negative) and it is not a zero pad (OpenSSL refuses one: "illegal padding").
 */
export function serialNumber(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
}

/**
 * Create an RSA key and an X.509 certificate for it, signed by `issuer` or self-signed (Node's
 * crypto signs; pkijs encodes). Throws only on malformed issuer PEM; not worth retrying.
 */
export function createCertificate(o: CertificateOptions): CertifiedKey {
  const keys = generateKeyPairSync('rsa', { modulusLength: o.keyBits ?? 2048 });
  const issuer = o.issuer ? readCertificate(o.issuer.certPem) : undefined;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: toArrayBuffer(serialNumber()) });
  cert.subject = subjectName(o);
  cert.issuer = issuer ? issuer.subject : cert.subject;
  const notBefore = o.notBefore ?? new Date(Date.now() - HOUR_MS);
  cert.notBefore.value = notBefore;
  cert.notAfter.value = new Date(notBefore.getTime() + (o.validityDays ?? 365) * 24 * HOUR_MS);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(
    toArrayBuffer(keys.publicKey.export({ type: 'spki', format: 'der' })),
  );
  cert.extensions = extensionsFor(o, cert, issuer);
  const algorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: OID.sha256WithRSA,
    algorithmParams: new asn1js.Null(),
  });
  cert.signature = algorithm;
  cert.signatureAlgorithm = algorithm;
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER());
  const signer = o.issuer ? createPrivateKey(o.issuer.keyPem) : keys.privateKey;
  cert.signatureValue = new asn1js.BitString({
    valueHex: toArrayBuffer(sign('sha256', cert.tbsView, signer)),
  });
  return {
    certPem: toPem(new Uint8Array(cert.toSchema().toBER()), 'CERTIFICATE'),
    keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
