// Gatekeeper's mutators at /mutate: the object as they leave it, as JSON Patch operations.
import type { PolicyBundle } from '../policies/engine/bundle.js';
import type { JsonPatchOp } from '../policies/engine/outcome.js';
import { mutate } from '../policies/engine/gatekeeper/mutators.js';
import type { AdmissionRequest } from './types.js';

const pointer = (key: string): string => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * The patch that turns the request's object into what the bundle's mutators make of it: each
 * top-level field they changed, added in whole (an `add` replaces what is there). Empty when no
 * mutator applies. Pure.
 */
export function mutatorPatch(
  request: AdmissionRequest,
  bundle: PolicyBundle,
  namespaceLabels?: Readonly<Record<string, string>>,
): JsonPatchOp[] {
  const mutators = bundle.built.mutators ?? [];
  const obj = request.object;
  if (mutators.length === 0 || !obj || request.operation === 'DELETE') return [];
  const { object, changed } = mutate(obj, mutators, namespaceLabels);
  if (!changed) return [];
  return Object.keys(object)
    .filter((k) => JSON.stringify(object[k]) !== JSON.stringify(obj[k]))
    .map((k) => ({ op: 'add', path: pointer(k), value: object[k] }));
}
