// Builtins OPA's wasm target leaves to the host, in JavaScript with OPA's semantics (checked
// against OPA's own test cases: test/policies/engine/opa-cases.test.ts). A wrong argument throws
// `<name>: <reason>`, as OPA's eval_builtin_error.

import { inRange } from './time-ns.js';
import { exactJson } from './exact-json.js';

/** value = digits × 10^exp, exactly. */
interface Decimal {
  readonly digits: bigint;
  readonly exp: number;
}

function decimal(text: string, fail: (m: string) => never): Decimal {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) fail('could not parse amount to a number');
  const [, sign, int = '', frac = '', e = '0'] = m;
  if (Math.abs(Number(e)) > 1000) fail('exponent too large');
  const digits = BigInt(`${sign}${int}${frac}` || '0');
  return { digits, exp: Number(e) - frac.length };
}

/** The shortest exact decimal text of digits × 10^exp (a JSON number). */
function decimalText({ digits, exp }: Decimal): string {
  const neg = digits < 0n;
  const abs = (neg ? -digits : digits).toString();
  if (exp >= 0) return `${neg ? '-' : ''}${abs}${'0'.repeat(exp)}`;
  const padded = abs.padStart(-exp + 1, '0');
  const text = `${padded.slice(0, exp)}.${padded.slice(exp)}`.replace(/\.?0+$/, '');
  return `${neg ? '-' : ''}${text}`;
}

const DECIMAL: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/**
 * units.parse: "10K" → 10000, "1.5Gi", "100m" (milli) → 0.1, "2.5e3K". `m` is milli and `M`
 * mega; the other units are case-insensitive after their first letter; quotes are dropped.
 */
export function unitsParse(x: string): unknown {
  const fail = (m: string): never => {
    throw new Error(`units.parse: ${m}`);
  };
  const s = x.replaceAll('"', '');
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const num = /^[+-]?[0-9.]*(?:[eE][+-]?[0-9]+)?/.exec(s)?.[0] ?? '';
  if (!/[0-9]/.test(num)) fail('no amount provided');
  const raw = s.slice(num.length);
  const unit = raw.length > 1 ? raw[0] + raw.slice(1).toLowerCase() : raw;
  let { digits, exp } = decimal(num, fail);
  if (unit === 'm') exp -= 3;
  else if (unit !== '') {
    const letter = unit === 'M' || unit === 'Mi' ? 'm' : (unit[0]?.toLowerCase() ?? '');
    const power = DECIMAL[letter];
    const binary = unit.length === 2 && unit[1] === 'i';
    if (power === undefined || unit.length > 2 || (unit.length === 2 && !binary))
      fail(`unit ${raw} not recognized`);
    if (binary) digits *= 1024n ** BigInt(power as number);
    else exp += 3 * (power as number);
  }
  return exactJson(decimalText({ digits, exp }));
}

/** time.parse_rfc3339_ns: nanoseconds since the epoch, exact (fractions to the nanosecond). */
export function parseRfc3339Ns(value: string): unknown {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(
      value,
    );
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : NaN;
  if (!m || Number.isNaN(ms) || Number(m[2]) > 12 || Number(m[3]) > 31 || Number(m[4]) > 23)
    throw new Error(
      `time.parse_rfc3339_ns: parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse`,
    );
  const zone = m[8] ?? 'Z';
  const offsetMin =
    zone.toUpperCase() === 'Z'
      ? 0
      : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  const ns = (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + fraction;
  return exactJson(inRange(ns, 'time.parse_rfc3339_ns').toString());
}
