// What a workload generates, as Gatekeeper judges it: each resource its ExpansionTemplates make,
// mutated by the mutators whose match.source takes generated resources (All or Generated), as
// Gatekeeper's expansion system mutates them before they are validated. Pure.
import { expandAll, type Expanded, type GkExpansion } from './expansion.js';
import { mutate, type GkMutator } from './mutators.js';

/** A bundle's (or a suite's) Gatekeeper objects that act on generated resources. */
export interface GeneratedBy {
  readonly expansions?: readonly GkExpansion[];
  readonly mutators?: readonly GkMutator[];
}

/** A mutator that asks external data: only at /mutate, where the providers are asked. */
const asksProviders = (m: GkMutator): boolean => {
  const assign = m.parameters.assign;
  return typeof assign === 'object' && assign !== null && 'externalData' in assign;
};

/** Every resource `obj` generates, mutated as Gatekeeper mutates generated resources. */
export function generatedResources(
  obj: unknown,
  gk: GeneratedBy,
  namespaceLabels?: Readonly<Record<string, string>>,
): Expanded[] {
  const expanded = expandAll(obj, gk.expansions ?? []);
  const mutators = (gk.mutators ?? []).filter((m) => !asksProviders(m));
  if (mutators.length === 0) return expanded;
  return expanded.map((e) => ({
    ...e,
    object: mutate(e.object, mutators, namespaceLabels, '', true).object,
  }));
}
