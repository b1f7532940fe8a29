import type { PolicyResult } from '../outcome.js';
import type { BuiltBundle } from '../built.js';

/** Messages from the pool to an evaluation worker. */
export type ToWorker =
  | {
      readonly type: 'load';
      readonly built: BuiltBundle;
      /** opa-builtins.wasm as the pool's thread compiled it: its code is shared, not copied. */
      readonly goModule?: object;
    }
  | {
      readonly type: 'eval';
      readonly id: number;
      readonly json: Uint8Array;
      /** How long external data providers may be waited for. */
      readonly budgetMs: number;
    }
  /** Gatekeeper's data.inventory (JSON text), for this and every later bundle. */
  | { readonly type: 'inventory'; readonly json: Uint8Array };

/** One policy's outcome without its metadata (the pool re-attaches it by index). */
export type WireOutcome =
  | { readonly ok: true; readonly result: PolicyResult }
  | { readonly ok: false; readonly error: string };

/** Messages from an evaluation worker to the pool. */
export type ToPool =
  | { readonly type: 'loaded'; readonly revision: string }
  | { readonly type: 'load-error'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly revision?: string;
      readonly outcomes: readonly WireOutcome[];
      readonly error?: string;
    };
