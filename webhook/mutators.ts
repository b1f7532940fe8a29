// Gatekeeper's mutators at /mutate: the object as they leave it, as JSON Patch operations.
import type { PolicyBundle } from '../policies/engine/bundle.js';
import type { JsonPatchOp } from '../policies/engine/outcome.js';
import { externalDataClient } from '../policies/engine/external-data-clients.js';
import { resolvePlaceholders } from '../policies/engine/gatekeeper/mutation-external.js';
import { mutate } from '../policies/engine/gatekeeper/mutators.js';
import type { AdmissionRequest } from './types.js';

const pointer = (key: string): string => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/** How long mutators' external data providers may be waited for, in all. */
const EXTERNAL_DATA_BUDGET_MS = 3000;

/**
 * The patch that turns the request's object into what the bundle's mutators make of it: each
 * top-level field they changed, added in whole (an `add` replaces what is there). Empty when no
 * mutator applies. An error (the request is then refused, as Gatekeeper refuses it) when a
 * mutator cannot apply or a provider's answer is missing under failurePolicy Fail.
 */
export async function mutatorPatch(
  request: AdmissionRequest,
  bundle: PolicyBundle,
  namespaceLabels?: Readonly<Record<string, string>>,
): Promise<{ patch: JsonPatchOp[] } | { error: string }> {
  const mutators = bundle.built.mutators ?? [];
  const obj = request.object;
  if (mutators.length === 0 || !obj || request.operation === 'DELETE') return { patch: [] };
  const out = mutate(obj, mutators, namespaceLabels, request.userInfo.username ?? '');
  if (out.error !== undefined) return { error: out.error };
  if (!out.changed) return { patch: [] };
  const object = out.object;
  const failed = await resolvePlaceholders(
    object,
    externalDataClient(bundle),
    EXTERNAL_DATA_BUDGET_MS,
  );
  if (failed.length > 0) return { error: failed.join('; ') };
  return {
    patch: Object.keys(object)
      .filter((k) => JSON.stringify(object[k]) !== JSON.stringify(obj[k]))
      .map((k) => ({ op: 'add', path: pointer(k), value: object[k] })),
  };
}
