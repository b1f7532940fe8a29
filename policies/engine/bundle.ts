import type { JsonPatchOp, PolicyOutcome, PolicyResult } from './outcome.js';
import { celViolations } from './gatekeeper/cel.js';
import { celTemplates, gatekeeperReview, withCelOutcomes } from './gatekeeper/cel-outcomes.js';
import { customBuiltins } from './builtins.js';
import { goBuiltins, loadGoBuiltins, needsGo } from './go-builtins.js';
import { ExternalDataSession } from './external-data-session.js';
import { WasmPolicy, type Builtin } from './wasm-policy.js';
import { BuildStage, PolicyBuildError } from './build.js';
import { type BuiltBundle } from './built.js';
import { parametersData, type PolicyMeta } from './discover.js';
import { policyEntrypoint, RESULTS_ENTRYPOINT } from './entry.js';
import { templateEntrypoint } from './gatekeeper/compile.js';
import { TENANT_INVENTORIES, tenantView, type Inventory } from './gatekeeper/inventory.js';
import { isObject } from '../../core/object.js';

/**
 * A compiled, loaded policy bundle. Evaluation is synchronous on one wasm instance, replaced
 * whenever an evaluation throws.
 */
export interface PolicyBundle {
  readonly revision: string;
  readonly policies: readonly PolicyMeta[];
  /** What it was loaded from (for loading the same bundle elsewhere, e.g. in worker threads). */
  readonly built: BuiltBundle;
  evaluate(input: unknown): PolicyOutcome[];
  /** Evaluate JSON text made by wellFormedJson(). */
  evaluateJson(json: Uint8Array): PolicyOutcome[];
  /**
   * Replace `data.inventory` (Gatekeeper's layout: cluster/namespace → group/version → kind →
   * name) for the evaluations that follow. Throws when the instance cannot hold it (the last
   * inventory stays).
   */
  setInventory(inventory: unknown): void;
  /** The data.inventory evaluations see now. */
  readonly inventory: unknown;
  /** A Gatekeeper template's `violation` set for Gatekeeper's input ({review, parameters}). */
  evaluateTemplate(template: string, input: unknown): unknown[];
  /** What `external_data` answers from; evaluate through withExternalData to ask providers. */
  readonly externalData: ExternalDataSession;
}

const messages = (v: unknown): string[] => {
  if (!Array.isArray(v)) return [];
  return v
    .map((m) =>
      typeof m === 'string' ? m : typeof m?.msg === 'string' ? m.msg : JSON.stringify(m),
    )
    .sort();
};

const isOp = (v: unknown): v is JsonPatchOp =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as JsonPatchOp).op === 'string' &&
  typeof (v as JsonPatchOp).path === 'string';

/** Normalise a package document ({deny, warn, patch}; any may be missing) into a PolicyResult. */
export function toResult(doc: unknown): PolicyResult {
  const d = (doc ?? {}) as Record<string, unknown>;
  return {
    deny: messages(d.deny),
    warn: messages(d.warn),
    patch: Array.isArray(d.patch) ? d.patch.filter(isOp) : [],
  };
}

const errorText = (err: unknown): string =>
  typeof err === 'string'
    ? err
    : err instanceof Error
      ? err.message
      : typeof (err as { message?: unknown })?.message === 'string'
        ? String((err as { message: string }).message)
        : JSON.stringify(err);

// JSON.stringify escapes a lone surrogate as a \ud800-style escape (pairs are written raw); one
// after an even run of backslashes is one of those. OPA's wasm JSON parser mishandles them.
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * The UTF-8 JSON text of `input` that the engine reads, with every lone UTF-16 surrogate replaced
 * by U+FFFD (Go's encoder does the same for invalid UTF-8), so no input reaches wasm malformed.
 */
export function wellFormedJson(input: unknown): Uint8Array {
  let text = JSON.stringify(input) ?? 'null';
  if (text.includes('\\ud')) text = text.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd');
  // Its own ArrayBuffer (never Node's shared pool), so it can be transferred to a worker.
  return new TextEncoder().encode(text);
}

// Node's WebAssembly global (its types are not in @types/node 20).
const wasmApi = (
  globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<unknown> } }
).WebAssembly;

/** Linear memory an instance may keep between evaluations (8 MiB). */
const WASM_KEEP_BYTES = 8 * 1024 * 1024;

/** @default 32 MiB of wasm linear memory per instance: a policy that needs more traps. */
export const WASM_MAX_PAGES = 512;

/**
 * Instantiate a built bundle with the custom builtins and its parameters as data. Throws
 * PolicyBuildError(load) when the wasm cannot be instantiated. An instance that throws during an
 * evaluation is discarded and a fresh one instantiated from the compiled module before the next
 * evaluation: a trap can leave linear memory corrupt, so nothing is reused after one.
 */
export async function loadBundle(
  built: BuiltBundle,
  nowMs: () => number = Date.now,
): Promise<PolicyBundle> {
  let module: unknown;
  const externalData = new ExternalDataSession();
  const data: Record<string, unknown> = {
    ...parametersData(built.policies),
    inventory: {},
    [TENANT_INVENTORIES]: {},
  };
  // Each tenant template's view of the inventory, under its source (compile.ts reads it there).
  const tenants = new Map(
    (built.templates ?? []).flatMap((t) => (t.tenant ? [[t.tenant.source, t.tenant]] : [])),
  );
  const tenantViews = (inventory: unknown): Record<string, Inventory> => {
    const out: Record<string, Inventory> = {};
    const inv = inventory as Inventory;
    if (!isObject(inv) || !isObject(inv.cluster) || !isObject(inv.namespace)) return out;
    for (const [source, b] of tenants) out[source] = tenantView(inv, b.namespaces);
    return out;
  };
  // Memory an instance may grow to before it is replaced: what its data takes, plus the margin.
  let keepBytes = WASM_KEEP_BYTES;
  const memory = (w: WasmPolicy): number => w.mem.buffer.byteLength;
  const builtins = { ...customBuiltins(nowMs), external_data: externalData.builtin as Builtin };
  const instantiate = (): WasmPolicy => {
    const wasm = new WasmPolicy(module, { initial: 5, maximum: WASM_MAX_PAGES }, builtins);
    wasm.setData(data);
    keepBytes = memory(wasm) + WASM_KEEP_BYTES;
    return wasm;
  };
  let wasm: WasmPolicy;
  try {
    module = await wasmApi.compile(built.wasm);
    wasm = instantiate();
    // OPA's own builtins (go-builtins.ts), loaded only when this bundle calls one.
    if (needsGo(wasm.hostBuiltins())) {
      if (!built.goBuiltins) throw new Error('this bundle needs opa-builtins.wasm, built without');
      const { path, opaVersion } = built.goBuiltins;
      Object.assign(builtins, goBuiltins(await loadGoBuiltins(path, opaVersion)));
    }
  } catch (err) {
    throw new PolicyBuildError(BuildStage.load, errorText(err), { cause: err });
  }
  /** Whether the last run read a builtin's error as undefined (non-strict). */
  let builtinErred = false;
  /**
   * Run one entrypoint; on any throw, replace the instance before rethrowing. Linear memory never
   * shrinks, so an instance that grew past WASM_KEEP_BYTES for one large input is replaced too.
   * strict: a builtin's error fails the evaluation (driftgate's own policies: fail closed).
   */
  const run = (bytes: Uint8Array, entrypoint: string, strict: boolean): unknown => {
    try {
      const result = wasm.evaluate(bytes, entrypoint, strict);
      builtinErred = wasm.builtinErrors().length > 0;
      if (memory(wasm) > keepBytes) wasm = instantiate();
      return result;
    } catch (err) {
      wasm = instantiate();
      throw err;
    }
  };
  const one = (p: PolicyMeta, index: number, bytes: Uint8Array): PolicyOutcome => {
    try {
      // A Gatekeeper constraint reads a builtin's error as undefined, as Gatekeeper's OPA does.
      const rs = run(bytes, policyEntrypoint(index), !p.gatekeeper) as { result: unknown }[];
      return { policy: p, ok: true, result: toResult(rs[0]?.result) };
    } catch (err) {
      return { policy: p, ok: false, error: errorText(err) };
    }
  };
  const cel = celTemplates(built);
  const hasOwnPolicies = built.policies.some((p) => !p.gatekeeper);
  const wasmOutcomes = (bytes: Uint8Array): PolicyOutcome[] => {
    // Fast path: one evaluation of every policy package at once, a builtin's error undefined (as
    // Gatekeeper reads it). Only when one was, driftgate's own policies are judged again alone,
    // strictly, to fail closed; the constraints keep their answer (no throw, no new instance).
    try {
      const rs = run(bytes, RESULTS_ENTRYPOINT, false) as { result: Record<string, unknown> }[];
      const results = rs[0]?.result ?? {};
      const fast = built.policies.map((p) => ({
        policy: p,
        ok: true as const,
        result: toResult(results[p.id]),
      }));
      if (!builtinErred || !hasOwnPolicies) return fast;
      return built.policies.map((p, i) =>
        p.gatekeeper ? (fast[i] as PolicyOutcome) : one(p, i, bytes),
      );
    } catch {
      // One policy failed: evaluate each on its own so only that one carries the error.
      return built.policies.map((p, i) => one(p, i, bytes));
    }
  };
  const evaluateJson = (bytes: Uint8Array): PolicyOutcome[] =>
    withCelOutcomes(wasmOutcomes(bytes), cel, () => JSON.parse(Buffer.from(bytes).toString()));
  return {
    revision: built.revision,
    policies: built.policies,
    built,
    evaluate: (input) => evaluateJson(wellFormedJson(input)),
    evaluateJson,
    externalData,
    setInventory(inventory) {
      const before = [data.inventory, data[TENANT_INVENTORIES]];
      data.inventory = inventory;
      data[TENANT_INVENTORIES] = tenantViews(inventory);
      try {
        wasm = instantiate();
      } catch (err) {
        // Too large for the instance's memory: the last inventory stays, and the caller is told.
        [data.inventory, data[TENANT_INVENTORIES]] = before;
        wasm = instantiate();
        throw new Error(`inventory refused: ${errorText(err)}`, { cause: err });
      }
    },
    get inventory() {
      return data.inventory;
    },
    evaluateTemplate(template, input) {
      const c = cel.get(template);
      if (c) {
        const i = isObject(input) ? input : {};
        return celViolations(c, gatekeeperReview({ request: i.review }), i.parameters);
      }
      const rs = run(wellFormedJson(input), templateEntrypoint(template), false) as {
        result: unknown;
      }[];
      const r = rs[0]?.result;
      return Array.isArray(r) ? r : [];
    },
  };
}
