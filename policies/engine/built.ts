// What a policy build produces (build.ts), kept by the build cache (built-cache.ts) and loaded
// by the bundle and the evaluation pool.
import type { PolicyMeta } from './discover.js';
import type { GkCel } from './gatekeeper/cel.js';
import type { GkExpansion } from './gatekeeper/expansion.js';
import type { GkMutator } from './gatekeeper/mutators.js';
import type { GkProvider } from './gatekeeper/providers.js';
import type { SyncKind } from './gatekeeper/inventory.js';
import type { TenantBound } from './tenancy.js';

/** A Gatekeeper template compiled into a bundle. */
export interface BuiltTemplate {
  readonly name: string;
  readonly kind: string;
  readonly file: string;
  /** The kinds it reads from data.inventory. */
  readonly sync: readonly SyncKind[];
  /** A tenant's template: it reads the tenant's view of data.inventory (tenantView). */
  readonly tenant?: TenantBound;
  /** A template without Rego: its CEL, evaluated in JavaScript beside the wasm. */
  readonly cel?: GkCel;
}

export interface BuiltBundle {
  readonly wasm: Buffer;
  readonly revision: string;
  readonly policies: readonly PolicyMeta[];
  /** The Gatekeeper templates compiled in (each has an entrypoint: templateEntrypoint). */
  readonly templates?: readonly BuiltTemplate[];
  /** Gatekeeper's ExpansionTemplates: workloads judged as what they create. */
  readonly expansions?: readonly GkExpansion[];
  /** Gatekeeper's mutators (Assign, AssignMetadata, ModifySet, AssignImage), for /mutate. */
  readonly mutators?: readonly GkMutator[];
  /** Mutators left out for a schema conflict, and why (gatekeeper/mutation-schema.ts). */
  readonly mutatorConflicts?: readonly string[];
  /** External data Providers (platform-declared only). */
  readonly providers?: readonly GkProvider[];
  /** opa-builtins.wasm beside the opa that built it, and that opa's version (go-builtins.ts). */
  readonly goBuiltins?: { readonly path: string; readonly opaVersion: string };
}
