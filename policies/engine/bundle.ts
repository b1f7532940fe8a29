import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { customBuiltins } from './builtins.js';
import { BuildStage, PolicyBuildError, type BuiltBundle } from './build.js';
import { parametersData, type PolicyMeta } from './discover.js';
import { policyEntrypoint, RESULTS_ENTRYPOINT } from './entry.js';

/** One RFC 6902 operation as a policy emits it. */
export interface JsonPatchOp {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

/** What one policy said about one input. */
export interface PolicyResult {
  readonly deny: readonly string[];
  readonly warn: readonly string[];
  readonly patch: readonly JsonPatchOp[];
}

/** A policy's result, or the error its evaluation raised (opa-wasm throws strings). */
export type PolicyOutcome =
  | { readonly policy: PolicyMeta; readonly ok: true; readonly result: PolicyResult }
  | { readonly policy: PolicyMeta; readonly ok: false; readonly error: string };

/** A compiled, loaded policy bundle. Evaluation is synchronous and reuses one wasm instance. */
export interface PolicyBundle {
  readonly revision: string;
  readonly policies: readonly PolicyMeta[];
  evaluate(input: unknown): PolicyOutcome[];
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

/**
 * Instantiate a built bundle with the custom builtins and its parameters as data. Throws
 * PolicyBuildError(load) when the wasm cannot be instantiated.
 */
export async function loadBundle(
  built: BuiltBundle,
  nowMs: () => number = Date.now,
): Promise<PolicyBundle> {
  let wasm: LoadedPolicy;
  try {
    wasm = await loadPolicy(built.wasm, undefined, customBuiltins(nowMs));
    wasm.setData(parametersData(built.policies));
  } catch (err) {
    throw new PolicyBuildError(BuildStage.load, errorText(err), { cause: err });
  }
  const one = (p: PolicyMeta, index: number, input: unknown): PolicyOutcome => {
    try {
      const rs = wasm.evaluate(input, policyEntrypoint(index)) as { result: unknown }[];
      return { policy: p, ok: true, result: toResult(rs[0]?.result) };
    } catch (err) {
      return { policy: p, ok: false, error: errorText(err) };
    }
  };
  return {
    revision: built.revision,
    policies: built.policies,
    evaluate(input) {
      // Fast path: one evaluation of every policy package at once.
      try {
        const rs = wasm.evaluate(input, RESULTS_ENTRYPOINT) as {
          result: Record<string, unknown>;
        }[];
        const results = rs[0]?.result ?? {};
        return built.policies.map((p) => ({
          policy: p,
          ok: true,
          result: toResult(results[p.id]),
        }));
      } catch {
        // One policy failed: evaluate each on its own so only that one carries the error.
        return built.policies.map((p, i) => one(p, i, input));
      }
    },
  };
}
