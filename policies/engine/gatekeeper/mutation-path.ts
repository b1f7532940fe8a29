// Gatekeeper's mutation locations: `spec.containers[name: *].securityContext.privileged`.
// A field is a name; a list is `name[key: value]`, value a name, a quoted string, or `*` (every
// element there is, none created). Pure.

export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | {
      readonly kind: 'list';
      readonly name: string;
      readonly key: string;
      /** undefined: `*`, every element. */
      readonly value?: string;
    };

/** Longer locations are refused: a mutator's path is a few fields deep. */
const MAX_LOCATION = 1024;

const NAME = /^(?:[A-Za-z0-9_\-/]+|"(?:[^"\\]|\\.)*")/;

function unquote(s: string): string {
  return s.startsWith('"') ? (JSON.parse(s) as string) : s;
}

/** The segments of a location; throws naming what is wrong. */
export function parseLocation(location: string): PathSegment[] {
  if (location.length > MAX_LOCATION)
    throw new Error(`location longer than ${MAX_LOCATION} characters`);
  const out: PathSegment[] = [];
  let rest = location.trim();
  while (rest.length > 0) {
    const name = NAME.exec(rest)?.[0];
    if (!name) throw new Error(`location ${location}: expected a field name at "${rest}"`);
    rest = rest.slice(name.length);
    // `[key: value]`: no two parts of the pattern can take the same spaces (linear on any input).
    const list =
      /^\[\s*([A-Za-z0-9_\-/]+|"(?:[^"\\]|\\.)*")\s*:(\s*"(?:[^"\\]|\\.)*"\s*|[^\]"]*)\]/.exec(
        rest,
      );
    if (list) {
      const value = (list[2] ?? '').trim();
      if (value === '') throw new Error(`location ${location}: a list key needs a value or *`);
      out.push({
        kind: 'list',
        name: unquote(name),
        key: unquote(list[1] ?? ''),
        ...(value === '*' ? {} : { value: unquote(value) }),
      });
      rest = rest.slice(list[0].length);
    } else out.push({ kind: 'field', name: unquote(name) });
    if (rest.startsWith('.')) rest = rest.slice(1);
    else if (rest.length > 0) throw new Error(`location ${location}: unexpected "${rest}"`);
  }
  if (out.length === 0) throw new Error('location is empty');
  return out;
}
