import { extraBuiltins } from './builtins-extra.js';
import { jwtBuiltins } from './builtins-jwt.js';
import { textBuiltins } from './builtins-text.js';
import { timeFormat } from './builtins-time.js';
import { timeParseNs } from './builtins-time-parse.js';
import { uriBuiltins } from './builtins-uri.js';
import { setBuiltins } from './builtins-sets.js';
import { jwtSignBuiltins } from './builtins-jwt-sign.js';
import { globsMatch } from './builtins-glob.js';
import { signReq } from './builtins-aws.js';
import { perEvaluationBuiltins } from './builtins-random.js';
import { takesExactNumbers, type Builtin, type Builtins } from './wasm-policy.js';
import { moreBuiltins } from './builtins-more.js';
import { parseRfc3339Ns, unitsParse } from './builtins-opa.js';
/**
 * Builtins that opa-wasm does not implement and policy authors reach for, provided from
 * TypeScript. Each throws on bad arguments like OPA's own (the evaluation then errors).
 */

/** Go's regexp.ReplaceAllString, with `${1}` and `$1` group references. */
export function regexReplace(s: string, pattern: string, value: string): string {
  const replacement = value.replace(/\$\{(\w+)\}/g, '$$$1');
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'g');
  } catch (err) {
    throw new Error(`regex.replace: ${(err as Error).message}`);
  }
  return s.replace(re, replacement);
}

const unitFactors: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  p: 1e15,
  e: 1e18,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40,
  pi: 2 ** 50,
  ei: 2 ** 60,
};

/** "10GB", "5K", "4mib", "1.5e3MB" → bytes (KB decimal, KiB binary; the B is optional). */
export function parseBytes(x: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*?)b?\s*$/i.exec(x.replaceAll('"', ''));
  const factor = m ? unitFactors[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || factor === undefined)
    throw new Error(`units.parse_bytes: could not parse byte amount "${x}"`);
  return Math.round(Number(m[1]) * factor);
}

// SemVer 2.0: numeric identifiers without leading zeros, no empty identifier (spec items 9, 10).
const PRE_ID = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER = new RegExp(
  `^v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer 2.0 precedence: -1, 0 or 1. Throws on a string that is not SemVer. */
export function semverCompare(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa) throw new Error(`semver.compare: operand 1: string "${a}" is not a valid SemVer`);
  if (!pb) throw new Error(`semver.compare: operand 2: string "${b}" is not a valid SemVer`);
  for (let i = 1; i <= 3; i++) {
    const d = Math.sign(Number(pa[i]) - Number(pb[i]));
    if (d !== 0) return d;
  }
  const ra = pa[4]?.split('.') ?? [];
  const rb = pb[4]?.split('.') ?? [];
  if (ra.length === 0 || rb.length === 0)
    return rb.length - ra.length === 0 ? 0 : ra.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    if (ra[i] === undefined) return -1;
    if (rb[i] === undefined) return 1;
    const d = compareIdentifiers(ra[i] as string, rb[i] as string);
    if (d !== 0) return d;
  }
  return 0;
}

/** A string, or an array (a set arrives as one) of strings; anything else is OPA's type error. */
/** Go's name for a value's type in OPA's type errors. */
const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'object'
        ? 'object'
        : typeof v === 'boolean'
          ? 'boolean'
          : typeof v;

function strings(v: unknown, name: string, operand: string): readonly string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v))
    throw new Error(
      `${name}: operand ${operand} must be one of {string, set, array} but got ${typeName(v)}`,
    );
  const odd = v.find((x) => typeof x !== 'string');
  if (odd !== undefined)
    throw new Error(
      `${name}: operand ${operand} must be array of strings but got array containing ${typeName(odd)}`,
    );
  return v as string[];
}

/** OPA's strings.any_prefix_match: whether any of `search` starts with any of `base`. */
export function anyPrefixMatch(search: unknown, base: unknown): boolean {
  const b = strings(base, 'strings.any_prefix_match', '2');
  return strings(search, 'strings.any_prefix_match', '1').some((s) =>
    b.some((p) => s.startsWith(p)),
  );
}

/** OPA's strings.any_suffix_match: whether any of `search` ends with any of `base`. */
export function anySuffixMatch(search: unknown, base: unknown): boolean {
  const b = strings(base, 'strings.any_suffix_match', '2');
  return strings(search, 'strings.any_suffix_match', '1').some((s) => b.some((p) => s.endsWith(p)));
}

/** The custom builtins handed to opa-wasm's loadPolicy. */
export function customBuiltins(nowMs: () => number = Date.now): Builtins {
  return {
    ...perEvaluationBuiltins(nowMs),
    'regex.replace': regexReplace,
    'units.parse_bytes': parseBytes,
    'semver.compare': semverCompare,
    'strings.any_prefix_match': anyPrefixMatch,
    'strings.any_suffix_match': anySuffixMatch,
    'units.parse': unitsParse,
    'time.parse_rfc3339_ns': parseRfc3339Ns,
    ...moreBuiltins,
    ...extraBuiltins,
    ...jwtBuiltins,
    ...textBuiltins,
    'time.format': takesExactNumbers(timeFormat as Builtin),
    'time.parse_ns': timeParseNs,
    ...uriBuiltins,
    ...setBuiltins,
    ...jwtSignBuiltins(nowMs),
    'regex.globs_match': globsMatch,
    'providers.aws.sign_req': signReq,
  };
}

/** Builtins opa-wasm 1.10 implements in JavaScript (beside those compiled into the wasm). */
export const SDK_JS_BUILTINS = [
  'json.is_valid',
  'sprintf',
  'regex.split',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
] as const;
