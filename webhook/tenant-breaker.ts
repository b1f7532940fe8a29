import type { EngineAnswer } from '../policies/engine/pool/pool.js';

/** How long a tenant's policies stay suspended after one of them missed the deadline. */
export const TENANT_SUSPENSION_MS = 60_000;

export interface TenantBreakerOptions {
  readonly now?: () => number;
  /** @default TENANT_SUSPENSION_MS */
  readonly suspensionMs?: number;
  /**
   * Evaluations in which one tenant's policies speak at the same time: fewer than the workers,
   * so a tenant never holds them all. @default 1
   */
  readonly maxInFlight?: number;
  /** How long a request waits for its tenant's turn before it is answered overloaded. */
  readonly waitMs?: number;
}

type Judged = { answer: EngineAnswer; skipped: string[]; tripped: string[] };

/**
 * Keeps one tenant's policies from costing everyone. A tenant's policies speak in at most
 * `maxInFlight` evaluations at once (its other requests wait their turn, up to `waitMs`), so the
 * other workers stay free for everyone else. When an evaluation in a namespace where tenant
 * policies speak misses its deadline, those tenants' policies are suspended there for a while
 * and the request is judged again without them (the platform's policies always judge); while
 * suspended, the tenant's requests cost what the platform's policies cost.
 */
export class TenantBreaker {
  readonly #until = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();
  #waiting: (() => void)[] = [];
  readonly #now: () => number;
  readonly #suspensionMs: number;
  readonly #max: number;
  readonly #waitMs: number;

  constructor(o: TenantBreakerOptions = {}) {
    this.#now = o.now ?? Date.now;
    this.#suspensionMs = o.suspensionMs ?? TENANT_SUSPENSION_MS;
    this.#max = Math.max(1, o.maxInFlight ?? 1);
    this.#waitMs = o.waitMs ?? 2000;
  }

  /** How long a suspension lasts. */
  get suspensionMs(): number {
    return this.#suspensionMs;
  }

  /** The tenants of `tenants` whose policies are suspended now. */
  suspended(tenants: readonly string[]): string[] {
    const at = this.#now();
    return tenants.filter((t) => (this.#until.get(t) ?? 0) > at);
  }

  /** Evaluations in flight in which `tenant`'s policies speak. */
  inFlight(tenant: string): number {
    return this.#inFlight.get(tenant) ?? 0;
  }

  /**
   * Evaluate with the suspended tenants left out (`run(skip)`), in the live tenants' turn; on a
   * missed deadline with live tenants in, suspend them and evaluate once more without them.
   * Says who was left out.
   */
  async judge(
    tenants: readonly string[],
    run: (skip: readonly string[]) => Promise<EngineAnswer>,
  ): Promise<Judged> {
    const before = this.suspended(tenants);
    const waiting = tenants.filter((t) => !before.includes(t));
    if (waiting.length === 0) return { answer: await run(before), skipped: before, tripped: [] };
    if (!(await this.#enter(waiting)))
      return { answer: { kind: 'overloaded' }, skipped: before, tripped: [] };
    let answer: EngineAnswer;
    // Suspended while it waited: left out now.
    const skipped = this.suspended(tenants);
    try {
      answer = await run(skipped);
    } finally {
      this.#leave(waiting);
    }
    const live = tenants.filter((t) => !skipped.includes(t));
    if (answer.kind !== 'timeout' || live.length === 0) return { answer, skipped, tripped: [] };
    const until = this.#now() + this.#suspensionMs;
    for (const t of live) this.#until.set(t, until);
    return { answer: await run(tenants), skipped: [...tenants], tripped: live };
  }

  /** Take a turn for every one of `tenants` at once; false when none came within waitMs. */
  async #enter(tenants: readonly string[]): Promise<boolean> {
    const until = performance.now() + this.#waitMs;
    while (!tenants.every((t) => this.inFlight(t) < this.#max)) {
      const left = until - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiting = this.#waiting.filter((w) => w !== wake);
          resolve();
        }, left);
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.#waiting.push(wake);
      });
    }
    for (const t of tenants) this.#inFlight.set(t, this.inFlight(t) + 1);
    return true;
  }

  #leave(tenants: readonly string[]): void {
    for (const t of tenants) {
      const n = this.inFlight(t) - 1;
      if (n > 0) this.#inFlight.set(t, n);
      else this.#inFlight.delete(t);
    }
    const woken = this.#waiting;
    this.#waiting = [];
    for (const w of woken) w();
  }
}

/**
 * The warning a request judged without some tenants' policies carries (the apiserver cuts
 * warnings at 120 characters: what matters comes first).
 */
export const suspendedWarning = (skipped: readonly string[], suspensionMs: number): string =>
  `driftgate: policies of ${skipped.join(', ')} suspended here for ${suspensionMs / 1000}s ` +
  "after a missed deadline; only the platform's judged";
