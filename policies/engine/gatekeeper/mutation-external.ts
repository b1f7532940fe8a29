// External data in Gatekeeper's mutators (Assign, AssignMetadata `assign.externalData`): the
// mutators leave a placeholder where the value goes; once they are done, the providers are asked
// for every placeholder's key at once and each placeholder becomes the answer, or what its
// failurePolicy says (Fail: the mutation fails; Ignore: the key stays; UseDefault: the default).
import { isObject } from '../../../core/object.js';
import type { ExternalDataClient, ProviderAnswer } from '../external-data.js';

export interface ExternalRef {
  readonly provider: string;
  /** The key: the value already at the location, or the requesting user's name. */
  readonly dataSource: 'ValueAtLocation' | 'Username';
  readonly failurePolicy: 'Fail' | 'Ignore' | 'UseDefault';
  readonly default: string;
}

/** `assign.externalData` with Gatekeeper's defaults, or why it is not valid. Pure. */
export function readExternalRef(v: unknown): ExternalRef | string {
  if (!isObject(v) || typeof v.provider !== 'string' || v.provider === '')
    return 'externalData needs a provider';
  const dataSource = v.dataSource ?? 'ValueAtLocation';
  const failurePolicy = v.failurePolicy ?? 'Fail';
  const def = v.default ?? '';
  if (dataSource !== 'ValueAtLocation' && dataSource !== 'Username')
    return 'externalData.dataSource must be ValueAtLocation or Username';
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore' && failurePolicy !== 'UseDefault')
    return 'externalData.failurePolicy must be Fail, Ignore or UseDefault';
  if (typeof def !== 'string' || (failurePolicy === 'UseDefault' && def === ''))
    return '`default` must not be empty when `failurePolicy` is set to `UseDefault`';
  return { provider: v.provider, dataSource, failurePolicy, default: def };
}

/** Where a value from a provider goes, keyed by what is there now (or the user's name). */
export class ExternalDataPlaceholder {
  constructor(
    readonly ref: ExternalRef,
    readonly valueAtLocation: string,
  ) {}

  /** This placeholder set where `key` is already (Gatekeeper keys it by that, either source). */
  copy(key?: string): ExternalDataPlaceholder {
    return new ExternalDataPlaceholder(this.ref, key ?? this.valueAtLocation);
  }
}

type Place = { container: Record<string, unknown> | unknown[]; key: string | number };

function placeholders(node: unknown, out: Place[]): Place[] {
  const visit = (
    container: Record<string, unknown> | unknown[],
    key: string | number,
    v: unknown,
  ) => {
    if (v instanceof ExternalDataPlaceholder) out.push({ container, key });
    else placeholders(v, out);
  };
  if (Array.isArray(node)) node.forEach((v, i) => visit(node, i, v));
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) visit(node, k, v);
  return out;
}

/** A placeholder's value from its provider's answer, or why there is none. Pure. */
function answered(p: ExternalDataPlaceholder, answer: ProviderAnswer): string | Error {
  const name = p.ref.provider;
  if (answer.systemError.trim() !== '')
    return new Error(
      `external data provider ${name}: non-empty system error: ${answer.systemError}`,
    );
  if (!answer.idempotent)
    return new Error(`external data provider ${name}: non-idempotent response`);
  const item = answer.items.get(p.valueAtLocation);
  if (!item) return new Error(`failed to find external data item in response for provider ${name}`);
  if (item.error !== undefined)
    return new Error(`failed to retrieve external data item from provider ${name}: ${item.error}`);
  if (typeof item.value !== 'string')
    return new Error(`external data item value from provider ${name} is not a string`);
  return item.value;
}

/**
 * Replace every placeholder in `obj` (in place) by its provider's answer: one request per
 * provider, within `budgetMs`, never from the cache (as Gatekeeper's mutation). The errors of
 * placeholders whose failurePolicy is Fail; empty when the mutation stands.
 */
export async function resolvePlaceholders(
  obj: Record<string, unknown>,
  client: ExternalDataClient,
  budgetMs: number,
): Promise<string[]> {
  const places = placeholders(obj, []);
  const at = (p: Place) =>
    (p.container as Record<string | number, unknown>)[p.key] as ExternalDataPlaceholder;
  const keys = new Map<string, Set<string>>();
  for (const p of places) {
    const ph = at(p);
    keys.set(ph.ref.provider, (keys.get(ph.ref.provider) ?? new Set()).add(ph.valueAtLocation));
  }
  const answers = new Map(
    await Promise.all(
      [...keys].map(
        async ([provider, ks]) =>
          [provider, await client.ask(provider, [...ks], { budgetMs, cache: false })] as const,
      ),
    ),
  );
  const errors: string[] = [];
  for (const p of places) {
    const ph = at(p);
    const v = answered(ph, answers.get(ph.ref.provider) as ProviderAnswer);
    const fallback = ph.ref.failurePolicy === 'Ignore' ? ph.valueAtLocation : ph.ref.default;
    if (v instanceof Error && ph.ref.failurePolicy === 'Fail') errors.push(v.message);
    (p.container as Record<string | number, unknown>)[p.key] = v instanceof Error ? fallback : v;
  }
  return errors;
}
