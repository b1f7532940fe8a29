import type { PolicyMeta } from '../../policies/engine/discover.js';
import { tenantsIn } from '../../policies/engine/tenancy.js';

/**
 * What each tenant's policies may cost one audit run. An evaluation in a namespace where tenant
 * policies speak charges those tenants with its time beyond what the platform's policies alone
 * cost (the running mean of evaluations where no tenant speaks); a tenant past its budget, or one
 * whose namespace saw an evaluation miss the deadline, has its policies skipped for the rest of
 * the run, so the platform's policies still audit its objects and the other tenants pay nothing.
 * Pure: times come from the caller.
 */
export class AuditBudget {
  readonly #spent = new Map<string, number>();
  readonly #over = new Map<string, string>();
  readonly #skippedObjects = new Map<string, number>();
  #platformMs = 0;
  #platformRuns = 0;

  constructor(
    private readonly policies: readonly PolicyMeta[],
    private readonly budgetMs: number,
    private readonly deadlineMs: number,
  ) {}

  /** Tenants whose policies speak in `ns` (none for cluster-scoped objects). */
  tenantsIn(ns: string | undefined): readonly string[] {
    return tenantsIn(this.policies, ns);
  }

  /** Tenants whose policies are skipped for an object of `ns`; counts the object for each. */
  skip(ns: string | undefined): string[] {
    const out = this.tenantsIn(ns).filter((t) => this.#over.has(t));
    for (const t of out) this.#skippedObjects.set(t, (this.#skippedObjects.get(t) ?? 0) + 1);
    return out;
  }

  /**
   * Charge one evaluation of an object in `ns` that took `ms` (with `skipped` left out); returns
   * the tenants it put over budget (the object is worth judging again without them).
   */
  charge(ns: string | undefined, ms: number, timedOut: boolean, object: string): string[] {
    const live = this.tenantsIn(ns).filter((t) => !this.#over.has(t));
    if (live.length === 0) {
      if (!timedOut) {
        this.#platformMs += ms;
        this.#platformRuns++;
      }
      return [];
    }
    const base = this.#platformRuns === 0 ? 0 : this.#platformMs / this.#platformRuns;
    const newly: string[] = [];
    for (const t of live) {
      const spent = (this.#spent.get(t) ?? 0) + Math.max(0, ms - base);
      this.#spent.set(t, spent);
      const why = timedOut
        ? `an evaluation of ${object} in its namespaces exceeded the ${this.deadlineMs} ms deadline`
        : spent > this.budgetMs
          ? `its policies cost more than the ${this.budgetMs} ms budget`
          : undefined;
      if (why === undefined) continue;
      this.#over.set(t, why);
      newly.push(t);
    }
    return newly;
  }

  /** One line per tenant whose policies were skipped, for the report's errors. */
  report(): string[] {
    return [...this.#over].map(
      ([t, why]) =>
        `tenant ${t}: its policies were skipped for the rest of this audit (${why}); ` +
        `${this.#skippedObjects.get(t) ?? 0} objects in its namespaces were judged by the platform's policies alone`,
    );
  }
}
