// OPA's io.jwt.decode and io.jwt.verify_* (pure: no clock, no key fetching), with Node's crypto,
// checked against `opa eval` (test/policies/engine/builtins-reference.test.ts). A token or key
// that cannot be read is an error (`<name>: <reason>`), as in OPA; a bad signature is false.
import {
  constants,
  createHmac,
  createPublicKey,
  timingSafeEqual,
  verify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isObject } from '../../core/object.js';

/** At most this much token or key text is read. */
export const MAX_TEXT = 1024 * 1024;

function parts(token: string, name: string): [string, string, string] {
  const p = typeof token === 'string' && token.length <= MAX_TEXT ? token.split('.') : [];
  if (p.length !== 3 || p.some((x) => !/^[A-Za-z0-9_-]*$/.test(x)))
    throw new Error(`${name}: encoded JWT must have 3 sections, found ${p.length}`);
  return p as [string, string, string];
}

function json(b64: string, name: string): unknown {
  try {
    return JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    throw new Error(`${name}: JWT is not valid JSON`);
  }
}

function decode(token: string): unknown[] {
  const [h, p, s] = parts(token, 'io.jwt.decode');
  const header = json(h, 'io.jwt.decode');
  if (!isObject(header)) throw new Error('io.jwt.decode: JWT header is not an object');
  // A nested token (cty JWT) is not unwrapped here; OPA's decode reads the outer one too.
  return [header, json(p, 'io.jwt.decode'), Buffer.from(s, 'base64url').toString('hex')];
}

/** The keys a certificate argument names: a PEM certificate, a PEM public key, or a JWKS. */
export function keysOf(material: string, name: string): KeyObject[] {
  if (typeof material !== 'string' || material.length > MAX_TEXT)
    throw new Error(`${name}: key must be a string`);
  try {
    if (material.includes('-----BEGIN CERTIFICATE-----'))
      return [new X509Certificate(material).publicKey];
    if (material.includes('-----BEGIN')) return [createPublicKey(material)];
    const jwks = JSON.parse(material) as unknown;
    const list = isObject(jwks) && Array.isArray(jwks.keys) ? jwks.keys : [jwks];
    return list.filter(isObject).map((k) => createPublicKey({ key: k as never, format: 'jwk' }));
  } catch {
    throw new Error(`${name}: failed to parse a PEM certificate, PEM public key or JWKS`);
  }
}

const HASH = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const;
type Bits = keyof typeof HASH;

/**
 * Whether `signature` signs `data` under a JWS algorithm family with `key`: RSA PKCS#1 v1.5 (rs)
 * and PSS (ps) only with an RSA key, ECDSA (es) in JWS's r‖s form, EdDSA only with Ed25519, as Go
 * checks the key's type. A signature that cannot be read is false.
 */
export function signatureVerifies(
  kind: 'rs' | 'ps' | 'es' | 'eddsa',
  hash: string | null,
  data: Buffer,
  key: KeyObject,
  signature: Buffer,
): boolean {
  try {
    if (kind === 'ps')
      return (
        key.asymmetricKeyType === 'rsa' &&
        verify(
          hash,
          data,
          {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          },
          signature,
        )
      );
    if (kind === 'es') return verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (kind === 'eddsa')
      return key.asymmetricKeyType === 'ed25519' && verify(null, data, key, signature);
    return key.asymmetricKeyType === 'rsa' && verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

function asymmetric(kind: 'rs' | 'ps' | 'es' | 'eddsa', bits: Bits | '') {
  const name = `io.jwt.verify_${kind}${bits}`;
  return (token: string, material: string): boolean => {
    const [h, p, s] = parts(token, name);
    const data = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s, 'base64url');
    const hash = kind === 'eddsa' ? null : HASH[bits as Bits];
    return keysOf(material, name).some((key) =>
      signatureVerifies(kind, hash, data, key, signature),
    );
  };
}

function hmac(bits: Bits) {
  const name = `io.jwt.verify_hs${bits}`;
  return (token: string, secret: string): boolean => {
    const [h, p, s] = parts(token, name);
    if (typeof secret !== 'string') throw new Error(`${name}: secret must be a string`);
    const want = createHmac(HASH[bits], secret).update(`${h}.${p}`).digest();
    const got = Buffer.from(s, 'base64url');
    return got.length === want.length && timingSafeEqual(got, want);
  };
}

export const jwtBuiltins: Record<string, (...args: never[]) => unknown> = {
  'io.jwt.decode': decode,
  'io.jwt.verify_hs256': hmac('256'),
  'io.jwt.verify_hs384': hmac('384'),
  'io.jwt.verify_hs512': hmac('512'),
  'io.jwt.verify_rs256': asymmetric('rs', '256'),
  'io.jwt.verify_rs384': asymmetric('rs', '384'),
  'io.jwt.verify_rs512': asymmetric('rs', '512'),
  'io.jwt.verify_ps256': asymmetric('ps', '256'),
  'io.jwt.verify_ps384': asymmetric('ps', '384'),
  'io.jwt.verify_ps512': asymmetric('ps', '512'),
  'io.jwt.verify_es256': asymmetric('es', '256'),
  'io.jwt.verify_es384': asymmetric('es', '384'),
  'io.jwt.verify_es512': asymmetric('es', '512'),
  'io.jwt.verify_eddsa': asymmetric('eddsa', ''),
};
