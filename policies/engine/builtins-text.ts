// OPA's uuid.parse, json.marshal_with_options, regex.template_match and yaml.is_valid, with the opa binary's
// results (checked against `opa eval`: test/policies/engine/builtins-reference.test.ts).
import { parseAllDocuments } from 'yaml';
import { exactJson } from './exact-json.js';
import { isObject } from '../../core/object.js';

/** The 16 bytes of a UUID in any form Go's uuid.Parse takes; undefined when not one. */
function uuidBytes(s: string): Buffer | undefined {
  let hex: string | undefined;
  if (s.length === 36) hex = s;
  else if (s.length === 38 && s.startsWith('{') && s.endsWith('}')) hex = s.slice(1, -1);
  else if (s.length === 45 && s.slice(0, 9).toLowerCase() === 'urn:uuid:') hex = s.slice(9);
  else if (s.length === 32) return /^[0-9a-fA-F]{32}$/.test(s) ? Buffer.from(s, 'hex') : undefined;
  if (
    !hex ||
    !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(hex)
  )
    return undefined;
  return Buffer.from(hex.replaceAll('-', ''), 'hex');
}

const VARIANT = (b: number): string =>
  (b & 0xc0) === 0x80
    ? 'RFC4122'
    : (b & 0x80) === 0
      ? 'Reserved'
      : (b & 0xe0) === 0xc0
        ? 'Microsoft'
        : 'Future';
const DOMAINS = ['Person', 'Group', 'Org'];
/** 100 ns intervals from 1582-10-15 to the Unix epoch. */
const GREGORIAN = 122192928000000000n;

function uuidParse(s: string): Record<string, unknown> {
  const u = typeof s === 'string' ? uuidBytes(s) : undefined;
  if (!u) throw new Error('uuid.parse: invalid UUID');
  const version = (u[6] ?? 0) >> 4;
  const out: Record<string, unknown> = { variant: VARIANT(u[8] ?? 0), version };
  if (version !== 1 && version !== 2) return out;
  const t =
    BigInt(u.readUInt32BE(0)) |
    (BigInt(u.readUInt16BE(4)) << 32n) |
    (BigInt(u.readUInt16BE(6) & 0xfff) << 48n);
  const node = u.subarray(10, 16);
  const first = node[0] ?? 0;
  Object.assign(out, {
    time: exactJson((t - GREGORIAN) * 100n),
    clocksequence: u.readUInt16BE(8) & 0x3fff,
    nodeid: [...node].map((b) => b.toString(16).padStart(2, '0')).join('-'),
    macvariables: `${first & 2 ? 'local' : 'global'}:${first & 1 ? 'multicast' : 'unicast'}`,
  });
  if (version === 2) {
    const domain = u[9] ?? 0;
    Object.assign(out, { id: u.readUInt32BE(0), domain: DOMAINS[domain] ?? `Domain${domain}` });
  }
  return out;
}

/** A JSON string as Go's encoding/json writes it (HTML characters and U+2028/9 escaped). */
const goString = (s: string): string =>
  JSON.stringify(s)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
    .replace(/\\([bf])/g, (_, c: string) => (c === 'b' ? '\\u0008' : '\\u000c'));

/** Go's json.MarshalIndent of a Rego value (keys sorted), every line after `prefix`. */
function marshal(v: unknown, indent: string, prefix: string, depth = 0): string {
  const nl = indent === '' && prefix === '' ? '' : `\n${prefix}${indent.repeat(depth + 1)}`;
  const end = nl === '' ? '' : `\n${prefix}${indent.repeat(depth)}`;
  const colon = nl === '' ? ':' : ': ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => nl + marshal(x, indent, prefix, depth + 1)).join(',')}${end}]`;
  }
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return '{}';
    const items = keys.map(
      (k) => `${nl}${goString(k)}${colon}${marshal(v[k], indent, prefix, depth + 1)}`,
    );
    return `{${items.join(',')}${end}}`;
  }
  return typeof v === 'string' ? goString(v) : JSON.stringify(v);
}

function marshalWithOptions(v: unknown, opts: unknown): string {
  const o = isObject(opts) ? opts : {};
  for (const k of Object.keys(o))
    if (!['pretty', 'indent', 'prefix'].includes(k))
      throw new Error(
        `json.marshal_with_options: object operand must have only pretty, indent and prefix`,
      );
  const pretty = o.pretty ?? (o.indent !== undefined || o.prefix !== undefined);
  if (pretty !== true) return marshal(v, '', '');
  const indent = typeof o.indent === 'string' ? o.indent : '\t';
  const prefix = typeof o.prefix === 'string' ? o.prefix : '';
  return prefix + marshal(v, indent, prefix);
}

/** regex.template_match: literal text, with regular expressions between the delimiters. */
function templateMatch(template: string, value: string, start: string, end: string): boolean {
  if ([start, end].some((d) => typeof d !== 'string' || [...d].length !== 1))
    throw new Error('regex.template_match: delimiters must be one character');
  let re = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf(start, i);
    if (open < 0) break;
    const close = template.indexOf(end, open + 1);
    if (close < 0) throw new Error('regex.template_match: unbalanced delimiters');
    re +=
      template.slice(i, open).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') +
      `(?:${template.slice(open + 1, close)})`;
    i = close + 1;
  }
  re += template.slice(i).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, 'u').test(value);
}

/**
 * OPA's yaml.is_valid: every document of the stream parses (Go's YAML refuses tabs as indentation
 * and items out of line); anything but a string is not valid YAML. Replaces the SDK's, which
 * answered nothing for a non-string and failed on a stream of several documents.
 */
function yamlIsValid(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  return parseAllDocuments(s).every((d) => d.errors.length === 0);
}

export const textBuiltins: Record<string, (...args: never[]) => unknown> = {
  'yaml.is_valid': yamlIsValid,
  'uuid.parse': uuidParse,
  'json.marshal_with_options': marshalWithOptions,
  'regex.template_match': templateMatch,
};
