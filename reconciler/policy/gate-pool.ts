// The pre-apply gate's evaluations, off the reconciler's main thread: a tenant's Rego comes from
// a Git commit, and a policy that loops for minutes must not stall every source's sync, the
// watches and the health checks. One worker thread of its own (the audit and the webhook have
// theirs), a deadline per evaluation; what misses it is a finding ("could not be evaluated"), so
// an enforce policy holds the object back rather than let it through unjudged.
import type { Logger } from 'pino';
import { wellFormedJson, type PolicyBundle } from '../../policies/engine/bundle.js';
import type { PolicyOutcome } from '../../policies/engine/outcome.js';
import { EvalPool, type EngineAnswer } from '../../policies/engine/pool/pool.js';

/** @default deadline of one gate evaluation (as the audit's). */
export const GATE_EVALUATION_TIMEOUT_MS = 2000;

export class GatePool {
  #pool: EvalPool | undefined;
  #loaded: PolicyBundle | undefined;
  #chain: Promise<void> = Promise.resolve();
  #inventory: unknown;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = GATE_EVALUATION_TIMEOUT_MS,
  ) {}

  /** The worker, started on the first evaluation (a reconciler with no policies starts none). */
  get #worker(): EvalPool {
    this.#pool ??= new EvalPool({
      size: 1,
      timeoutMs: this.timeoutMs,
      maxQueue: 1024,
      heapMb: 64,
      logger: this.logger,
    });
    return this.#pool;
  }

  /** The outcomes of `input` under `bundle`; every policy an error when none came in time. */
  async judge(bundle: PolicyBundle, input: object): Promise<PolicyOutcome[]> {
    try {
      await this.#use(bundle);
    } catch (err) {
      return failed(bundle, `not evaluated: the bundle did not load (${String(err)})`);
    }
    // Gatekeeper's data.inventory, as the gate's inventory laid it into the bundle.
    if (bundle.inventory !== this.#inventory) {
      this.#inventory = bundle.inventory;
      this.#worker.setInventory(wellFormedJson(bundle.inventory ?? {}));
    }
    const a = await this.#worker.evaluate(wellFormedJson(input), { background: true });
    if (a.kind === 'ok') return a.outcomes;
    return failed(bundle, `not evaluated: ${why(a, this.timeoutMs)}`);
  }

  /** Load `bundle` into the worker unless it holds it; loads run one after another. */
  async #use(bundle: PolicyBundle): Promise<void> {
    if (this.#loaded === bundle) return;
    const load = this.#chain.then(async () => {
      if (this.#loaded === bundle) return;
      await this.#worker.load(bundle);
      this.#loaded = bundle;
      this.#inventory = undefined;
    });
    this.#chain = load.catch(() => undefined);
    await load;
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }
}

const failed = (bundle: PolicyBundle, error: string): PolicyOutcome[] =>
  bundle.policies.map((policy) => ({ policy, ok: false as const, error }));

function why(a: Exclude<EngineAnswer, { kind: 'ok' }>, timeoutMs: number): string {
  if (a.kind === 'timeout') return `the ${timeoutMs} ms deadline passed`;
  if (a.kind === 'overloaded') return 'the gate is overloaded';
  return a.reason;
}
