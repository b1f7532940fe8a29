import { isObject } from '../../../core/object.js';

/**
 * A value with its structural schema's defaults filled in where absent, as the apiserver
 * defaults a custom resource (a constraint's `spec.parameters` under its template's
 * openAPIV3Schema): inside objects that are there, and in each item of a list. Pure.
 */
export function withDefaults(schema: unknown, value: unknown): unknown {
  if (!isObject(schema)) return value;
  const v =
    value === undefined && schema.default !== undefined ? structuredClone(schema.default) : value;
  if (isObject(v) && isObject(schema.properties)) {
    const out: Record<string, unknown> = { ...v };
    for (const [k, s] of Object.entries(schema.properties)) {
      const d = withDefaults(s, out[k]);
      if (d !== undefined) out[k] = d;
    }
    return out;
  }
  if (Array.isArray(v) && isObject(schema.items))
    return v.map((x) => withDefaults(schema.items, x));
  return v;
}
