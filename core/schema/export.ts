import type { TSchema } from '@sinclair/typebox';
import { isObject } from '../object.js';
import { LOCAL_KEYWORDS } from './keywords.js';

type Node = Record<string, unknown>;

const dropped = new Set<string>(LOCAL_KEYWORDS);

/** Plain JSON of a schema node: TypeBox's symbols and this project's own keywords left out. */
function plain(v: unknown, drop: (key: string, node: Node) => boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => plain(x, drop));
  if (!isObject(v)) return v;
  const out: Node = {};
  for (const [k, x] of Object.entries(v)) if (!drop(k, v)) out[k] = plain(x, drop);
  // A key with a default need not be written (the parser fills it in).
  if (Array.isArray(out.required) && isObject(v.properties)) {
    const props = v.properties;
    const required = out.required.filter((k) => !isObject(props[k]) || !('default' in props[k]));
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}

/** The schema as JSON Schema draft-07 (Helm's values.schema.json). Pure. */
export function toJsonSchema(schema: TSchema): Node {
  return plain(schema, (k) => dropped.has(k) || k.startsWith('x-kubernetes-')) as Node;
}

/**
 * The schema as a CRD's structural openAPIV3Schema. Pure. Kubernetes refuses `additionalProperties:
 * false` beside `properties` (unknown fields are pruned instead), and defaults on mappings.
 */
export function toOpenApi(schema: TSchema): Node {
  return plain(
    schema,
    (k, node) =>
      dropped.has(k) ||
      (k === 'additionalProperties' && node.additionalProperties === false) ||
      (k === 'default' && node.type === 'object'),
  ) as Node;
}
