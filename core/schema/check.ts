import type { Static, TSchema } from '@sinclair/typebox';
import { suggest } from './problems.js';
import { isObject } from '../object.js';

type Node = Record<string, unknown>;

/** Where a value sits, for messages: `sources[0] (app).retry.limit`. */
const join = (where: string, key: string) => (where ? `${where}.${key}` : key);

function typeMessage(s: Node): string {
  if (typeof s.errorMessage === 'string') return s.errorMessage;
  if (s.type === 'object') return 'must be a mapping';
  if (s.type === 'array') return 'must be a list';
  if (s.type === 'integer') return 'must be an integer';
  if (s.type === 'number') return 'must be a number';
  if (s.type === 'boolean') return 'must be true or false';
  return 'must be a string';
}

function numberOk(s: Node, v: number): boolean {
  if (s.type === 'integer' && !Number.isInteger(v)) return false;
  if (typeof s.minimum === 'number' && v < s.minimum) return false;
  if (typeof s.maximum === 'number' && v > s.maximum) return false;
  if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) return false;
  return !(typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum);
}

function stringOk(s: Node, v: string): boolean {
  if (typeof s.minLength === 'number' && v.length < s.minLength) return false;
  if (typeof s.maxLength === 'number' && v.length > s.maxLength) return false;
  return typeof s.pattern !== 'string' || new RegExp(s.pattern).test(v);
}

/** Does `v` have this node's own type and bounds (not its children)? */
function scalarOk(s: Node, v: unknown): boolean {
  if (Array.isArray(s.enum)) return s.enum.includes(v);
  switch (s.type) {
    case 'string':
      return typeof v === 'string' && stringOk(s, v);
    case 'integer':
    case 'number':
      return typeof v === 'number' && numberOk(s, v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    default:
      return true;
  }
}

const quiet = (s: Node, v: unknown): boolean => {
  const problems: string[] = [];
  walk(s, v, '', problems);
  return problems.length === 0;
};

function walkObject(s: Node, v: Record<string, unknown>, where: string, problems: string[]) {
  const props = (isObject(s.properties) ? s.properties : {}) as Record<string, Node>;
  const required = Array.isArray(s.required) ? (s.required as string[]) : [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    const child = props[key];
    if (child) continue;
    if (isObject(s.additionalProperties)) {
      out[key] = walk(s.additionalProperties, value, join(where, key), problems);
    } else if (s.additionalProperties === false) {
      const near = suggest(key, Object.keys(props));
      problems.push(`unknown key ${join(where, key)}${near ? ` (did you mean ${near}?)` : ''}`);
    } else out[key] = value;
  }
  for (const [key, child] of Object.entries(props)) {
    if (v[key] === undefined && !required.includes(key) && child.default === undefined) continue;
    const value = walk(child, v[key], join(where, key), problems);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function walkArray(s: Node, v: unknown[], where: string, problems: string[]): unknown[] {
  if (!isObject(s.items)) return v;
  const items = s.items;
  const label = typeof s.itemLabel === 'string' ? s.itemLabel : undefined;
  // A list of scalars is judged whole ("must be a list of strings"); a list of mappings item by item.
  if (items.type !== 'object') {
    if (typeof items.errorMessage === 'string' && v.every((x) => typeof x === 'string')) {
      const bad = v.filter((x) => !quiet(items, x));
      for (const x of bad) problems.push(`${where}: ${String(x)} ${String(items.errorMessage)}`);
      return v.filter((x) => !bad.includes(x));
    }
    if (v.every((x) => quiet(items, x))) return v;
    problems.push(`${where} ${typeMessage(s)}`);
    return [];
  }
  return v.map((item, i) => {
    const name = label && isObject(item) ? item[label] : undefined;
    const at = `${where}[${i}]${typeof name === 'string' ? ` (${name})` : ''}`;
    return walk(items, item, at, problems);
  });
}

/** What stands in for a wrong value (its default, or an empty one of its type) so reading goes on. */
function stand(s: Node): unknown {
  if (s.default !== undefined) return structuredClone(s.default);
  if (s.type === 'object') return walk(s, {}, '', []);
  if (s.type === 'array') return [];
  if (s.type === 'integer' || s.type === 'number') return 0;
  if (s.type === 'boolean') return false;
  return '';
}

/**
 * Check `v` against schema `s`, adding one problem per wrong value (unknown keys with the closest
 * known one), and return it with defaults filled in; a wrong value is replaced by its default.
 */
function walk(s: Node, v: unknown, where: string, problems: string[]): unknown {
  if (typeof s.parsedBy === 'string') return v;
  if (v === undefined) {
    if (s.default !== undefined) return walk(s, structuredClone(s.default), where, problems);
    // A required mapping that is absent is read as empty, so its own keys are reported.
    if (s.type === 'object') return walk(s, {}, where, problems);
    problems.push(`${where} ${s.type === 'array' ? 'is required' : typeMessage(s)}`);
    return stand(s);
  }
  if (Array.isArray(s.anyOf)) {
    if ((s.anyOf as Node[]).some((b) => quiet(b, v))) return v;
    problems.push(`${where} ${typeMessage(s)}`);
    return stand(s);
  }
  if (!scalarOk(s, v)) {
    problems.push(`${where || 'config'} ${typeMessage(s)}`);
    return stand(s);
  }
  if (s.type === 'object' && isObject(v)) return walkObject(s, v, where, problems);
  if (s.type === 'array' && Array.isArray(v)) return walkArray(s, v, where, problems);
  return v;
}

/**
 * Read a raw config (parsed YAML) against its schema: problems are added to `problems` (all of
 * them, not the first), and the value comes back with defaults filled in, typed by the schema.
 * Pure. A value with problems is still returned (wrong parts replaced by defaults) so a caller
 * can go on and report everything at once.
 */
export function readSchema<S extends TSchema>(
  schema: S,
  raw: unknown,
  where: string,
  problems: string[],
): Static<S> {
  return walk(schema as unknown as Node, raw ?? {}, where, problems) as Static<S>;
}
