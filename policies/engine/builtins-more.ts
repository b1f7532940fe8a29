// Pure builtins OPA's wasm target leaves to the host, with the opa binary's results (checked
// against `opa eval`: test/policies/engine/builtins-reference.test.ts). Errors throw
// `<name>: <reason>`; in a policy they make the expression undefined, as in OPA's wasm.
import { partsOfArg } from './builtins-time.js';
import { takesExactNumbers } from './wasm-policy.js';
import { exactJson } from './exact-json.js';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Go's url.QueryEscape: space as +, everything but unreserved characters %-encoded. */
const queryEscape = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      return c === ' ' ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

const isSet = (v: unknown): v is unknown[] => Array.isArray(v);

/** Go's time.ParseDuration, in nanoseconds (exact, as JSON). */
function parseDurationNs(s: string): unknown {
  const units: Record<string, bigint> = {
    ns: 1n,
    us: 1000n,
    µs: 1000n,
    μs: 1000n,
    ms: 1_000_000n,
    s: 1_000_000_000n,
    m: 60_000_000_000n,
    h: 3_600_000_000_000n,
  };
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (s === '0') return 0;
  if (!m) throw new Error(`time.parse_duration_ns: time: invalid duration "${s}"`);
  let total = 0n;
  for (const [, num = '', unit = ''] of s.matchAll(
    /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g,
  )) {
    const [int = '0', frac = ''] = num.split('.');
    const scale = units[unit] ?? 1n;
    total +=
      BigInt(int || '0') * scale + (BigInt(frac || '0') * scale) / 10n ** BigInt(frac.length);
  }
  const ns = m[1] === '-' ? -total : total;
  return exactJson(ns);
}

/** The UTC date of a time in nanoseconds (OPA's number or [ns, "UTC"] argument). */
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The builtins of this file, by name, for opa-wasm's loadPolicy. */
export const moreBuiltins: Record<string, (...args: never[]) => unknown> = {
  'hex.encode': (s: string) => Buffer.from(s, 'utf8').toString('hex'),
  'hex.decode': (s: string) => {
    if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error('hex.decode: invalid hex string');
    return Buffer.from(s, 'hex').toString('utf8');
  },
  'base64url.encode_no_pad': (s: string) => Buffer.from(s, 'utf8').toString('base64url'),
  'glob.quote_meta': (s: string) => s.replace(/[\\*?[\]{}]/g, (c) => `\\${c}`),
  'strings.count': (s: string, sub: string) =>
    sub === '' ? [...s].length + 1 : s.split(sub).length - 1,
  'semver.is_valid': (v: unknown) => typeof v === 'string' && SEMVER.test(v) && !v.startsWith('v'),
  'crypto.md5': (s: string) => createHash('md5').update(s).digest('hex'),
  'crypto.sha1': (s: string) => createHash('sha1').update(s).digest('hex'),
  'crypto.sha256': (s: string) => createHash('sha256').update(s).digest('hex'),
  'crypto.hmac.md5': (x: string, k: string) => createHmac('md5', k).update(x).digest('hex'),
  'crypto.hmac.sha1': (x: string, k: string) => createHmac('sha1', k).update(x).digest('hex'),
  'crypto.hmac.sha256': (x: string, k: string) => createHmac('sha256', k).update(x).digest('hex'),
  'crypto.hmac.sha512': (x: string, k: string) => createHmac('sha512', k).update(x).digest('hex'),
  'crypto.hmac.equal': (a: string, b: string) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  },
  'urlquery.encode': (s: string) => queryEscape(s),
  'urlquery.encode_object': (o: Record<string, unknown>) =>
    Object.keys(o)
      .sort()
      .flatMap((k) => {
        const v = o[k];
        const values = isSet(v) ? v.map(String) : [String(v)];
        return values.map((x) => `${queryEscape(k)}=${queryEscape(x)}`);
      })
      .join('&'),
  'time.parse_duration_ns': (s: string) => parseDurationNs(s),
  indexof_n: (s: string, sub: string) => {
    const chars = [...s];
    const needle = [...sub];
    const out: number[] = [];
    for (let i = 0; i + needle.length <= chars.length; i++)
      if (needle.every((c, j) => chars[i + j] === c)) out.push(i);
    return out;
  },
  'numbers.range_step': (a: number, b: number, step: number) => {
    if (!Number.isInteger(step) || step <= 0)
      throw new Error('numbers.range_step: step must be a positive integer');
    const out: number[] = [];
    if (a <= b) for (let x = a; x <= b; x += step) out.push(x);
    else for (let x = a; x >= b; x -= step) out.push(x);
    return out;
  },
  // Timestamps exactly (int64 nanoseconds), in UTC or the zone given as [ns, zone].
  'time.date': takesExactNumbers((x: unknown) => {
    const p = partsOfArg(x, 'time.date');
    return [p.y, p.mo, p.d];
  }),
  'time.clock': takesExactNumbers((x: unknown) => {
    const p = partsOfArg(x, 'time.clock');
    return [p.h, p.mi, p.s];
  }),
  'time.weekday': takesExactNumbers((x: unknown) => DAYS[partsOfArg(x, 'time.weekday').wd]),
};
