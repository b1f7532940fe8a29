// Schema building blocks on TypeBox: every configuration (webhook, reconciler, GitSource, chart
// values) is one TypeBox schema; validation, --help, the CRD schema and values.schema.json are
// read from it (check.ts, help.ts, export.ts).
import { Type, type SchemaOptions, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** Durations as Go writes them (30s, 5m, 1h30m, 250ms; a bare 0), as parseDuration reads them. */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';

/**
 * Keywords this project adds to a schema; the exporters leave them out.
 * - `errorMessage`: the problem text when the value is not this schema's type (path prefixed).
 * - `itemLabel`: a key of a list's items shown beside their index (`sources[0] (app)`).
 * - `parsedBy`: the value is validated by that parser, not by the schema walk.
 */
export const LOCAL_KEYWORDS = ['errorMessage', 'itemLabel', 'parsedBy'] as const;

export interface Doc extends SchemaOptions {
  readonly description: string;
}

/** A duration string; `zero` also takes a bare 0 (YAML's `interval: 0`). */
export function Duration(doc: Doc & { default?: string }, zero = false): TUnsafe<string | 0> {
  const message = 'must be a duration such as 30s or 5m';
  const str = { type: 'string', pattern: DURATION_PATTERN };
  return Type.Unsafe<string | 0>(
    zero
      ? { anyOf: [str, { type: 'integer', enum: [0] }], errorMessage: message, ...doc }
      : { ...str, errorMessage: message, ...doc },
  );
}

/** One of a few strings. */
export function OneOf<const T extends readonly string[]>(
  values: T,
  doc: Doc & { default?: T[number] },
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    errorMessage: `must be one of ${values.join(', ')}`,
    ...doc,
  });
}

/** A list of strings. */
export const Strings = (doc: Doc & { default?: readonly string[] }, item: SchemaOptions = {}) =>
  Type.Array(Type.String(item), { errorMessage: 'must be a list of strings', ...doc });

/** A non-empty string. */
export const Str = (doc: Doc & { default?: string }) =>
  Type.String({ minLength: 1, errorMessage: 'must be a non-empty string', ...doc });

export const Bool = (doc: Doc & { default?: boolean }) =>
  Type.Boolean({ errorMessage: 'must be true or false', ...doc });

export const Int = (min: number, max: number, doc: Doc & { default?: number }) =>
  Type.Integer({
    minimum: min,
    maximum: max,
    errorMessage: `must be an integer from ${min} to ${max}`,
    ...doc,
  });

/** A mapping of anything (inline Helm values): kept whole in a CRD. */
export const FreeForm = (doc: Doc) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    errorMessage: 'must be a mapping',
    ...doc,
  });

/** A mapping of known keys only. */
export const Mapping = <P extends Record<string, TSchema>>(properties: P, doc: Doc) =>
  Type.Object(properties, { additionalProperties: false, ...doc });
