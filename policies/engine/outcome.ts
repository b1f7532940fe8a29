// What an evaluation says, per policy: the bundle's output, read by every caller.
import type { PolicyMeta } from './discover.js';

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
