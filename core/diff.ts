import { isObject } from './object.js';

/** One declared field whose live value differs. `path` is a JSON pointer. */
export interface FieldDiff {
  readonly path: string;
  readonly declared: unknown;
  readonly live: unknown;
}

const QUANTITY = /^([+-]?[0-9.]+(?:e[+-]?[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$/;
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("500m", "1Gi", 2) as a number, or undefined. */
export function quantity(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v);
  return m ? Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? NaN) : undefined;
}

const escape = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

function scalarEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const qa = quantity(a);
  const qb = quantity(b);
  // The apiserver canonicalises quantities ("1000m" → "1"); compare them as numbers.
  return qa !== undefined && qb !== undefined && Math.abs(qa - qb) <= Math.abs(qa) * 1e-9;
}

/** {} or []: what a manifest may say for "nothing". */
const isEmpty = (v: unknown): boolean =>
  (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

/** Lists whose items merge by a field other than `name` (their server-side apply list-map key). */
const MERGE_KEY: Readonly<Record<string, string>> = {
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
};

/** The field a declared list's items merge by (unique strings), or undefined: compare by position. */
function mergeKey(path: string, xs: readonly unknown[]): string | undefined {
  const field = MERGE_KEY[path.slice(path.lastIndexOf('/') + 1)] ?? 'name';
  const keys = xs.map((x) => (isObject(x) ? x[field] : undefined));
  const unique = new Set(keys).size === keys.length;
  return xs.length > 0 && unique && keys.every((k) => typeof k === 'string') ? field : undefined;
}

/** What Go's `omitempty` drops: the apiserver does not store a declared false, 0 or "". */
const isZero = (v: unknown): boolean => v === false || v === 0 || v === '' || isEmpty(v);

function walk(
  declared: unknown,
  live: unknown,
  path: string,
  ignore: ReadonlySet<string>,
  out: FieldDiff[],
): void {
  if (ignore.has(path)) return;
  // A null declares nothing (server-side apply drops it), and a zero value (false, 0, "", {},
  // []) the apiserver does not store is not drift either.
  if (declared === null || (live === undefined && isZero(declared))) return;
  if (isObject(declared)) {
    if (!isObject(live)) {
      out.push({ path, declared, live });
      return;
    }
    for (const [k, v] of Object.entries(declared))
      walk(v, live[k], `${path}/${escape(k)}`, ignore, out);
    return;
  }
  if (Array.isArray(declared)) {
    if (!Array.isArray(live)) {
      out.push({ path, declared, live });
      return;
    }
    const key = mergeKey(path, declared);
    if (key) {
      // Lists of keyed items (containers, env by name; volume mounts by path) merge by key,
      // as server-side apply does.
      for (const item of declared as Record<string, unknown>[]) {
        const at = `${path}/${escape(String(item[key]))}`;
        const match = live.find((l) => isObject(l) && l[key] === item[key]);
        if (match === undefined) out.push({ path: at, declared: item, live: undefined });
        else walk(item, match, at, ignore, out);
      }
      return;
    }
    if (declared.length !== live.length) {
      out.push({ path, declared, live });
      return;
    }
    declared.forEach((d, i) => walk(d, live[i], `${path}/${i}`, ignore, out));
    return;
  }
  if (!scalarEqual(declared, live)) out.push({ path, declared, live });
}

/**
 * The declared fields of `declared` that `live` does not hold. Only what Git declares is
 * compared (defaulted and controller-owned fields never count); `ignore` holds JSON pointers
 * (ignoreDifferences). Pure.
 */
export function declaredDiff(
  declared: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  ignore: readonly string[] = [],
): FieldDiff[] {
  if (!live) return [{ path: '', declared: 'present', live: 'missing' }];
  const out: FieldDiff[] = [];
  const skip = new Set(ignore);
  for (const [k, v] of Object.entries(declared)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata' && isObject(v)) {
      for (const m of ['labels', 'annotations'])
        if (v[m] !== undefined)
          walk(
            v[m],
            isObject(live.metadata) ? live.metadata[m] : undefined,
            `/metadata/${m}`,
            skip,
            out,
          );
      continue;
    }
    walk(v, live[k], `/${escape(k)}`, skip, out);
  }
  return out;
}

/** A copy of `obj` without the fields at `pointers` (so ignored fields are not applied). */
export function withoutPaths<T extends object>(obj: T, pointers: readonly string[]): T {
  const copy = structuredClone(obj) as Record<string, unknown>;
  for (const p of pointers) {
    const parts = p
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = copy;
    for (const part of parts.slice(0, -1)) node = isObject(node) ? node[part] : undefined;
    const last = parts[parts.length - 1];
    if (isObject(node) && last !== undefined) Reflect.deleteProperty(node, last);
  }
  return copy as T;
}

/** One line per field: `/spec/replicas: git 3, live 1`. */
export function formatDiff(diffs: readonly FieldDiff[], max = 5): string {
  const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v).slice(0, 60));
  const lines = diffs
    .slice(0, max)
    .map((d) => `${d.path || '(object)'}: git ${show(d.declared)}, live ${show(d.live)}`);
  if (diffs.length > max) lines.push(`… and ${diffs.length - max} more`);
  return lines.join('; ');
}

/**
 * `declared`'s shape with `predicted`'s values: what the apiserver would store for each declared
 * field (a server-side dry-run apply's answer; mutating webhooks and defaulting included). A
 * field the answer lacks becomes undefined (the apiserver drops it; applying cannot change
 * that). Keyed lists match by their merge key, other lists by position. Pure.
 */
export function projected(declared: unknown, predicted: unknown, path = ''): unknown {
  if (isObject(declared)) {
    if (!isObject(predicted)) return predicted;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(declared))
      out[k] = projected(v, predicted[k], `${path}/${escape(k)}`);
    return out;
  }
  if (Array.isArray(declared)) {
    if (!Array.isArray(predicted)) return predicted;
    const key = mergeKey(path, declared);
    if (key) {
      // An item the answer lacks is left out: the apiserver drops it, applying cannot add it.
      const out: unknown[] = [];
      for (const item of declared as Record<string, unknown>[]) {
        const match = predicted.find((p) => isObject(p) && p[key] === item[key]);
        if (match !== undefined)
          out.push(projected(item, match, `${path}/${escape(String(item[key]))}`));
      }
      return out;
    }
    if (declared.length !== predicted.length) return predicted;
    return declared.map((d, i) => projected(d, predicted[i], `${path}/${i}`));
  }
  return predicted;
}

/**
 * Drift as the apiserver sees it: the declared fields whose stored value would change if
 * `declared` were applied now (`predicted`, the dry-run's answer), against `live`. Empty when
 * applying would change nothing, whatever a client-side comparison guessed. Pure.
 */
export function confirmedDiff(
  declared: Record<string, unknown>,
  predicted: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  ignore: readonly string[] = [],
): FieldDiff[] {
  const shaped = projected(declared, predicted) as Record<string, unknown>;
  return declaredDiff(shaped, live, ignore).map((d) => ({
    ...d,
    declared: valueAt(declared, d.path) ?? d.declared,
  }));
}

/** The value at a diff path of `obj` (keyed list segments by their merge key), or undefined. */
function valueAt(obj: unknown, pointer: string): unknown {
  let node: unknown = obj;
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const key = mergeKey(path, node);
      node = key ? node.find((x) => isObject(x) && x[key] === part) : node[Number(part)];
    } else node = isObject(node) ? node[part] : undefined;
    path = `${path}/${raw}`;
  }
  return node;
}

/**
 * Declared fields the apiserver would not store at all (`predicted` lacks them: a field its
 * schema prunes, or one a webhook removes). Applying cannot change them, so nothing acts on
 * them, but status shows them: Git says something the cluster does not hold. Pure.
 */
export function notKept(
  declared: Record<string, unknown>,
  predicted: Record<string, unknown>,
  ignore: readonly string[] = [],
): FieldDiff[] {
  return declaredDiff(declared, predicted, ignore).filter((d) => d.live === undefined);
}
