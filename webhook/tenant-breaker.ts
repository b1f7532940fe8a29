import type { EngineAnswer } from '../policies/engine/pool/pool.js';

/** How long a tenant's policies stay suspended after one of them missed the deadline. */
export const TENANT_SUSPENSION_MS = 60_000;

/**
 * Keeps one tenant's runaway policies from costing everyone: when an evaluation in a namespace
 * where tenant policies speak misses its deadline, those tenants' policies are suspended there
 * for a while and the request is judged again without them (the platform's policies always
 * judge). While suspended, the tenant's requests cost what the platform's policies cost, so a
 * tenant occupies the evaluation workers for at most one deadline per suspension.
 */
export class TenantBreaker {
  readonly #until = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly suspensionMs = TENANT_SUSPENSION_MS,
  ) {}

  /** The tenants of `tenants` whose policies are suspended now. */
  suspended(tenants: readonly string[]): string[] {
    const at = this.now();
    return tenants.filter((t) => (this.#until.get(t) ?? 0) > at);
  }

  /**
   * Evaluate with the suspended tenants left out (`run(skip)`); on a missed deadline with live
   * tenants in, suspend them and evaluate once more without them. Says who was left out.
   */
  async judge(
    tenants: readonly string[],
    run: (skip: readonly string[]) => Promise<EngineAnswer>,
  ): Promise<{ answer: EngineAnswer; skipped: string[]; tripped: string[] }> {
    const skipped = this.suspended(tenants);
    const answer = await run(skipped);
    const live = tenants.filter((t) => !skipped.includes(t));
    if (answer.kind !== 'timeout' || live.length === 0) return { answer, skipped, tripped: [] };
    const until = this.now() + this.suspensionMs;
    for (const t of live) this.#until.set(t, until);
    return { answer: await run(tenants), skipped: [...tenants], tripped: live };
  }
}

/**
 * The warning a request judged without some tenants' policies carries (the apiserver cuts
 * warnings at 120 characters: what matters comes first).
 */
export const suspendedWarning = (skipped: readonly string[]): string =>
  `driftgate: policies of ${skipped.join(', ')} suspended here for ${TENANT_SUSPENSION_MS / 1000}s ` +
  "after a missed deadline; only the platform's judged";
