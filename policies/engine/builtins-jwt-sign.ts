// OPA's io.jwt.decode_verify (RFC 7519 §7.2 checks with a key or secret, the algorithm, issuer,
// audience and time constraints, nested JWTs) and io.jwt.encode_sign / encode_sign_raw (a JWK
// signs), with Node's crypto; checked against `opa eval` (builtins-reference.test.ts). Errors
// throw `<name>: <reason>`; a token that does not verify is [false, {}, {}], as in OPA.
import {
  constants,
  createHmac,
  createPrivateKey,
  sign,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { keysOf, MAX_TEXT, signatureVerifies } from './builtins-jwt.js';
import { regoKey } from './rego-value.js';
import { isObject } from '../../core/object.js';

const DV = 'io.jwt.decode_verify';
const HASHES = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const;
const ALGS = /^(?:(RS|PS|ES|HS)(256|384|512)|(EdDSA))$/;

interface Constraints {
  keys?: KeyObject[];
  secret?: string;
  alg?: string;
  iss?: string;
  aud?: string;
  /** Nanoseconds. */
  time: number;
}

function constraintsOf(o: unknown, nowNs: number): Constraints {
  if (!isObject(o)) throw new Error(`${DV}: operand 2 must be object`);
  const c: Constraints = { time: nowNs };
  const str = (k: string, v: unknown): string => {
    if (typeof v !== 'string') throw new Error(`${DV}: ${k} constraint: must be a string`);
    return v;
  };
  for (const [k, v] of Object.entries(o)) {
    if (k === 'cert') c.keys = keysOf(str(k, v), DV);
    else if (k === 'secret' || k === 'alg' || k === 'iss' || k === 'aud') c[k] = str(k, v);
    else if (k === 'time') {
      if (typeof v !== 'number') throw new Error(`${DV}: token time constraint: must be a number`);
      if (v < 0) throw new Error(`${DV}: token time constraint: must not be negative`);
      c.time = v;
    } else throw new Error(`${DV}: unknown token validation constraint: ${k}`);
  }
  const keys = (c.keys ? 1 : 0) + (c.secret ? 1 : 0);
  if (keys > 1) throw new Error(`${DV}: duplicate key constraints`);
  if (keys < 1) throw new Error(`${DV}: no key constraint`);
  return c;
}

function objectOf(b64: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch (err) {
    throw new Error(`${DV}: ${what}invalid JSON: ${(err as Error).message}`);
  }
  if (!isObject(v)) throw new Error(`${DV}: ${what}decoded JSON type was not an Object`);
  return v;
}

/** The header's alg and cty, or undefined when RFC 7515 makes the token invalid. */
function headerOf(h: Record<string, unknown>): { alg: string; cty: string } | undefined {
  const fields: Record<string, string> = {};
  for (const k of ['alg', 'kid', 'typ', 'cty'])
    if (k in h) {
      if (typeof h[k] !== 'string') throw new Error(`${DV}: ${k}: must be a string`);
      fields[k] = h[k];
    }
  let crit: unknown[] = [];
  if ('crit' in h) {
    if (!Array.isArray(h.crit)) throw new Error(`${DV}: crit: must be a list`);
    crit = h.crit;
    if (crit.length === 0) throw new Error(`${DV}: crit: must be a nonempty list`);
  }
  const known = new Set(['alg', 'kid', 'typ', 'cty', 'crit']);
  if (!fields.alg || Object.keys(h).some((k) => !known.has(k) && crit.includes(k)))
    return undefined;
  return { alg: fields.alg, cty: fields.cty ?? '' };
}

/** Whether `signature` signs `data` under `alg` with a key or the secret (OPA's rules). */
function verified(alg: string, data: Buffer, signature: Buffer, c: Constraints): boolean {
  const m = ALGS.exec(alg);
  if (!m) throw new Error(`${DV}: unknown JWS algorithm: ${alg}`);
  const kind = m[3] ?? (m[1] as string);
  const hash = m[2] ? HASHES[m[2] as keyof typeof HASHES] : null;
  if (kind === 'HS') {
    if (!c.secret) return false; // keys given: a public key is no HMAC secret
    const want = createHmac(hash ?? 'sha256', c.secret)
      .update(data)
      .digest();
    return want.length === signature.length && timingSafeEqual(want, signature);
  }
  if (!c.keys) throw new Error(`${DV}: incorrect public key type`);
  const family = kind.toLowerCase() as 'rs' | 'ps' | 'es' | 'eddsa';
  return c.keys.some((key) => signatureVerifies(family, hash, data, key, signature));
}

const UNVERIFIED = [false, {}, {}];

function decodeVerify(nowMs: () => number) {
  return (token: unknown, constraints: unknown): unknown[] => {
    const c = constraintsOf(constraints, nowMs() * 1e6);
    let jwt = token;
    for (let depth = 0; ; depth++) {
      if (depth > 8) throw new Error(`${DV}: JWT nested too deep`);
      if (typeof jwt !== 'string' || jwt.length > MAX_TEXT)
        throw new Error(`${DV}: operand 1 must be string`);
      if (!jwt.includes('.')) throw new Error(`${DV}: encoded JWT had no period separators`);
      const parts = jwt.split('.');
      if (parts.length !== 3)
        throw new Error(`${DV}: encoded JWT must have 3 sections, found ${parts.length}`);
      const [h, p, s] = parts as [string, string, string];
      const decodedHeader = objectOf(h, 'bad JWT header: ');
      if ('enc' in decodedHeader)
        throw new Error(`${DV}: JWT is a JWE object, which is not supported`);
      const header = headerOf(decodedHeader);
      if (!header || (c.alg && c.alg !== header.alg)) return UNVERIFIED;
      if (!verified(header.alg, Buffer.from(`${h}.${p}`), Buffer.from(s, 'base64url'), c))
        return UNVERIFIED;
      if (header.cty.toUpperCase() === 'JWT') {
        jwt = Buffer.from(p, 'base64url').toString('utf8');
        continue;
      }
      const payload = objectOf(p, '');
      return claimsHold(payload, c) ? [true, decodedHeader, payload] : UNVERIFIED;
    }
  };
}

function claimsHold(payload: Record<string, unknown>, c: Constraints): boolean {
  if (c.iss && 'iss' in payload && payload.iss !== c.iss) return false;
  if ('aud' in payload) {
    const aud = payload.aud;
    const ok =
      typeof aud === 'string' ? aud === c.aud : Array.isArray(aud) && aud.some((a) => a === c.aud);
    if (!ok) return false;
  } else if (c.aud) return false;
  const seconds = c.time / 1e9;
  for (const k of ['exp', 'nbf'])
    if (k in payload && typeof payload[k] !== 'number')
      throw new Error(`${DV}: ${k} value must be a number`);
  if ('exp' in payload && seconds >= (payload.exp as number)) return false;
  if ('nbf' in payload && seconds < (payload.nbf as number)) return false;
  return true;
}

/** Sign `payload` with `header` (both exactly as given) and the first key of a JWK or JWKS. */
function signCompact(name: string, header: string, payload: string, jwk: string): string {
  if (jwk.length > MAX_TEXT || header.length > MAX_TEXT || payload.length > MAX_TEXT)
    throw new Error(`${name}: operand too large`);
  let key: Record<string, unknown>;
  let h: Record<string, unknown>;
  try {
    const parsed = JSON.parse(jwk) as unknown;
    const first =
      isObject(parsed) && Array.isArray(parsed.keys) ? (parsed.keys[0] as unknown) : parsed;
    if (!isObject(first)) throw new Error('not a JWK');
    key = first;
    h = JSON.parse(header) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  const typ = typeof h.typ === 'string' ? h.typ : '';
  if (typ === '' || typ === 'JWT') {
    try {
      JSON.parse(payload);
    } catch {
      throw new Error(`${name}: type is JWT but payload is not JSON`);
    }
  }
  const alg = typeof h.alg === 'string' ? h.alg : '';
  const m = ALGS.exec(alg);
  if (!m) throw new Error(`${name}: unsupported signature algorithm "${alg}"`);
  const kind = m[3] ?? (m[1] as string);
  const hash = m[2] ? HASHES[m[2] as keyof typeof HASHES] : null;
  const data = Buffer.from(`${b64(header)}.${b64(payload)}`);
  let signature: Buffer;
  try {
    if (kind === 'HS') {
      if (key.kty !== 'oct' || typeof key.k !== 'string') throw new Error('invalid key type');
      signature = createHmac(hash ?? 'sha256', Buffer.from(key.k, 'base64url'))
        .update(data)
        .digest();
    } else {
      const k = createPrivateKey({ key: key as never, format: 'jwk' });
      signature =
        kind === 'PS'
          ? sign(hash, data, {
              key: k,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            })
          : kind === 'ES'
            ? sign(hash, data, { key: k, dsaEncoding: 'ieee-p1363' })
            : sign(kind === 'EdDSA' ? null : hash, data, k);
    }
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  return `${data.toString()}.${signature.toString('base64url')}`;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

function encodeSignRaw(header: unknown, payload: unknown, jwk: unknown): string {
  const name = 'io.jwt.encode_sign_raw';
  if (typeof header !== 'string') throw new Error(`${name}: operand 1 must be string`);
  if (typeof payload !== 'string') throw new Error(`${name}: operand 2 must be string`);
  if (typeof jwk !== 'string') throw new Error(`${name}: operand 3 must be string`);
  return signCompact(name, header, payload, jwk);
}

/** Go's json.Marshal text: compact, keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped. */
const goJson = (v: unknown): string =>
  regoKey(v).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** encode_sign: its objects are written as Go's json.Marshal writes them, as OPA does. */
function encodeSign(header: unknown, payload: unknown, jwk: unknown): string {
  return signCompact('io.jwt.encode_sign', goJson(header), goJson(payload), goJson(jwk));
}

/** The builtins of this file, by name, for the wasm loader. */
export function jwtSignBuiltins(
  nowMs: () => number,
): Record<string, (...args: never[]) => unknown> {
  return {
    'io.jwt.decode_verify': decodeVerify(nowMs),
    'io.jwt.encode_sign_raw': encodeSignRaw,
    'io.jwt.encode_sign': encodeSign,
  };
}
