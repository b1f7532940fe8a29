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
/** How long tenants' policies are left out of the gate after one missed the deadline. */
export const TENANT_SUSPENSION_MS = 5 * 60_000;

export class GatePool {
  #pool: EvalPool | undefined;
  #loaded: PolicyBundle | undefined;
  #chain: Promise<void> = Promise.resolve();
  #inventory: unknown;
  /** Until when tenants' policies are left out, after one missed the deadline. */
  #suspendedUntil = 0;

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

  /**
   * The outcomes of `input` under `bundle`; every policy an error when none came in time. When
   * an evaluation with tenants' policies in misses its deadline, it is judged again without them
   * (the platform's policies still speak) and the tenants' policies are left out for the next
   * TENANT_SUSPENSION_MS: their outcomes are "not evaluated", which counts only in their own
   * namespaces (their scope), so one tenant's policy holds back no other source's objects.
   */
  async judge(
    bundle: PolicyBundle,
    input: { readonly [key: string]: unknown; readonly driftgate?: object },
  ): Promise<PolicyOutcome[]> {
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
    const tenants = [
      ...new Set(bundle.policies.flatMap((p) => (p.tenant ? [p.tenant.source] : []))),
    ];
    const suspended = tenants.length > 0 && Date.now() < this.#suspendedUntil;
    const a = suspended ? undefined : await this.#evaluate(input);
    if (a?.kind === 'ok') return a.outcomes;
    if (tenants.length === 0 || (a && a.kind !== 'timeout'))
      return failed(bundle, `not evaluated: ${why(a ?? { kind: 'timeout' }, this.timeoutMs)}`);
    if (a) this.#suspendedUntil = Date.now() + TENANT_SUSPENSION_MS;
    const skip = Object.fromEntries(tenants.map((t) => [t, true]));
    const b = await this.#evaluate({
      ...input,
      driftgate: { ...input.driftgate, skip_tenants: skip },
    });
    if (b.kind !== 'ok') return failed(bundle, `not evaluated: ${why(b, this.timeoutMs)}`);
    const error = `not evaluated: a tenant's policies missed the ${this.timeoutMs} ms deadline`;
    return b.outcomes.map((o) =>
      o.policy.tenant ? { policy: o.policy, ok: false as const, error } : o,
    );
  }

  #evaluate(input: object): Promise<EngineAnswer> {
    return this.#worker.evaluate(wellFormedJson(input), { background: true });
  }

  /**
   * Load `bundle` into the worker now, in the background, so the first sync after it goes live
   * (or after a leader handover) does not wait for the worker to start and compile it.
   */
  prepare(bundle: PolicyBundle): void {
    this.#use(bundle).catch((err: unknown) =>
      this.logger.warn({ reason: String(err) }, 'gate: policies not loaded ahead'),
    );
  }

  /** Load `bundle` into the worker unless it holds it; loads run one after another. */
  async #use(bundle: PolicyBundle): Promise<void> {
    if (this.#loaded === bundle) return;
    const load = this.#chain.then(async () => {
      if (this.#loaded === bundle) return;
      await this.#worker.load(bundle);
      this.#loaded = bundle;
      this.#inventory = undefined;
      this.#suspendedUntil = 0;
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
