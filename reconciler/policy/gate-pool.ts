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
  /** Until when each tenant's policies are left out, after one of them missed the deadline. */
  #until = new Map<string, number>();

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
   * an evaluation with tenants' policies in misses its deadline, it is judged again without the
   * tenants whose policies speak in the object's namespace (the platform's policies still speak),
   * and those tenants are left out there for the next TENANT_SUSPENSION_MS: their outcomes are
   * "not evaluated", which counts only in their own namespaces, so one tenant's policy holds back
   * no other tenant's objects.
   */
  async judge(
    bundle: PolicyBundle,
    input: {
      readonly request?: { readonly [key: string]: unknown; readonly namespace?: unknown };
      readonly driftgate?: object;
    },
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
    const ns = input.request?.namespace;
    const here = [
      ...new Set(
        bundle.policies.flatMap((p) =>
          p.tenant && typeof ns === 'string' && p.tenant.namespaces.includes(ns)
            ? [p.tenant.source]
            : [],
        ),
      ),
    ];
    let skipped = here.filter((t) => Date.now() < (this.#until.get(t) ?? 0));
    let a = await this.#evaluate(input, skipped);
    const live = here.filter((t) => !skipped.includes(t));
    if (a.kind === 'timeout' && live.length > 0) {
      for (const t of live) this.#until.set(t, Date.now() + TENANT_SUSPENSION_MS);
      skipped = here;
      a = await this.#evaluate(input, skipped);
    }
    if (a.kind !== 'ok') return failed(bundle, `not evaluated: ${why(a, this.timeoutMs)}`);
    const error = `not evaluated: a tenant's policies missed the ${this.timeoutMs} ms deadline`;
    return a.outcomes.map((o) =>
      o.policy.tenant && skipped.includes(o.policy.tenant.source)
        ? { policy: o.policy, ok: false as const, error }
        : o,
    );
  }

  /** Evaluate in the worker, the tenants of `skip` left out (the entry module's tenant gate). */
  #evaluate(
    input: { readonly driftgate?: object },
    skip: readonly string[],
  ): Promise<EngineAnswer> {
    const skip_tenants = Object.fromEntries(skip.map((t) => [t, true]));
    const given =
      skip.length === 0 ? input : { ...input, driftgate: { ...input.driftgate, skip_tenants } };
    return this.#worker.evaluate(wellFormedJson(given), { background: true });
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
      this.#until.clear();
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
