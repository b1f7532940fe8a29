import type { TSchema } from '@sinclair/typebox';
import { isObject } from '../object.js';

type Node = Record<string, unknown>;

function shownDefault(d: unknown): string {
  if (d === undefined || d === '' || isObject(d)) return '';
  if (Array.isArray(d)) return d.length > 0 ? ` (${d.join(',')})` : '';
  return ` (${String(d)})`;
}

/** The keys of a mapping, or of each item of a list of mappings. */
function keysOf(s: Node): Record<string, Node> | undefined {
  if (isObject(s.properties)) return s.properties as Record<string, Node>;
  if (isObject(s.items) && isObject(s.items.properties))
    return s.items.properties as Record<string, Node>;
  return undefined;
}

/**
 * `--help` text for a config schema: one key per line with its default and description,
 * children indented. Pure.
 */
export function usage(schema: TSchema, indent = '  '): string {
  const keys = keysOf(schema as unknown as Node) ?? {};
  return Object.entries(keys)
    .map(([key, s]) => {
      const line = `${indent}${key}${shownDefault(s.default)}: ${String(s.description ?? '')}`;
      const children = keysOf(s) && !s.parsedBy ? usage(s as TSchema, `${indent}  `) : '';
      return children ? `${line}\n${children}` : line;
    })
    .join('\n');
}

/** Every key path of a schema without a description (a test keeps this empty). Pure. */
export function undocumented(schema: TSchema, where = ''): string[] {
  const keys = keysOf(schema as unknown as Node) ?? {};
  return Object.entries(keys).flatMap(([key, s]) => {
    const at = where ? `${where}.${key}` : key;
    const own = typeof s.description === 'string' && s.description !== '' ? [] : [at];
    return [...own, ...(keysOf(s) ? undocumented(s as TSchema, at) : [])];
  });
}
