// Gatekeeper's `external_data` builtin for one evaluation. opa-wasm calls builtins synchronously,
// so the HTTPS request cannot happen inside it: the builtin answers from what was staged and
// notes the keys it lacked; the caller asks the providers and evaluates again (withExternalData).
// Pure apart from the staged state.
import { isObject } from '../../core/object.js';
import type { ExternalDataClient, ProviderAnswer } from './external-data.js';

/** What `external_data` returns to Rego (Gatekeeper's RegoResponse). */
export interface RegoResponse {
  readonly responses: [string, unknown][];
  readonly errors: [string, string][];
  readonly status_code: number;
  readonly system_error: string;
}

/** Keys still to ask, per provider. */
export type Wanted = Map<string, Set<string>>;

/** Keys one evaluation notes per provider at most. */
const MAX_WANTED = 10_000;

interface Staged {
  readonly asked: Set<string>;
  readonly answer: ProviderAnswer;
}

/** A request as Gatekeeper reads it; anything else is an evaluation error, as in Gatekeeper. */
function readRequest(req: unknown): { provider: string; keys: string[] } {
  const provider = isObject(req) ? req.provider : undefined;
  const keys = isObject(req) ? (req.keys ?? []) : undefined;
  if (
    typeof provider !== 'string' ||
    !Array.isArray(keys) ||
    keys.some((k) => typeof k !== 'string')
  )
    throw new Error('external_data: the request must be {"provider": string, "keys": [string]}');
  return { provider, keys: [...new Set(keys as string[])] };
}

export class ExternalDataSession {
  #staged = new Map<string, Staged>();
  /** Where the evaluation running now notes what it lacks (none outside run()). */
  #wanted: Wanted | undefined;
  /** The system error for keys nobody fetched (a caller that cannot ask providers). */
  readonly #unfetched: string;

  constructor(unfetched = 'external data was not fetched') {
    this.#unfetched = unfetched;
  }

  #active = 0;

  /**
   * An evaluation with external data starts. Evaluations in flight at once (the gate plans
   * objects concurrently) share what is staged: a provider's answer for a key is the same for
   * each. The answers are forgotten when the last one ends (the client keeps its own cache).
   */
  begin(): void {
    if (this.#active++ === 0) this.#clear();
  }

  end(): void {
    if (--this.#active === 0) this.#clear();
  }

  #clear(): void {
    this.#staged = new Map();
  }

  /** Keep what a provider answered for `keys`. */
  stage(provider: string, keys: Iterable<string>, answer: ProviderAnswer): void {
    const before = this.#staged.get(provider);
    const asked = new Set([...(before?.asked ?? []), ...keys]);
    const items = new Map([...(before?.answer.items ?? []), ...answer.items]);
    const merged =
      before && answer.status === 0 ? { ...answer, status: before.answer.status } : answer;
    this.#staged.set(provider, { asked, answer: { ...merged, items } });
  }

  /** Evaluate (synchronously) and note the keys this evaluation lacked. */
  run<T>(evaluate: () => T): { out: T; wanted: Wanted } {
    const wanted: Wanted = new Map();
    this.#wanted = wanted;
    try {
      return { out: evaluate(), wanted };
    } finally {
      this.#wanted = undefined;
    }
  }

  /** The builtin handed to opa-wasm. */
  readonly builtin = (req: unknown): RegoResponse => {
    const { provider, keys } = readRequest(req);
    const staged = this.#staged.get(provider);
    const lacking = keys.filter((k) => !staged?.asked.has(k));
    if (lacking.length > 0) {
      const w = this.#wanted?.get(provider) ?? new Set<string>();
      for (const k of lacking) if (w.size < MAX_WANTED) w.add(k);
      this.#wanted?.set(provider, w);
      return { responses: [], errors: [], status_code: 0, system_error: this.#unfetched };
    }
    const responses: [string, unknown][] = [];
    const errors: [string, string][] = [];
    for (const k of keys) {
      const it = staged?.answer.items.get(k);
      if (it?.error !== undefined) errors.push([k, it.error]);
      else if (it) responses.push([k, it.value]);
    }
    return {
      responses,
      errors,
      status_code: staged?.answer.status ?? 0,
      system_error: staged?.answer.systemError ?? '',
    };
  };
}

/** Rounds of asking before the last evaluation stands (keys usually come from the input alone). */
const MAX_ROUNDS = 3;

/**
 * Run `evaluate` with external data: evaluate, ask the providers for the keys it lacked, and
 * evaluate again, at most MAX_ROUNDS times; all within `budgetMs`.
 */
export async function withExternalData<T>(
  session: ExternalDataSession,
  client: ExternalDataClient | undefined,
  evaluate: () => T,
  budgetMs = 5000,
): Promise<T> {
  session.begin();
  try {
    let { out, wanted } = session.run(evaluate);
    if (!client) return out;
    const deadline = Date.now() + budgetMs;
    for (let round = 0; round < MAX_ROUNDS && wanted.size > 0; round++) {
      await Promise.all(
        [...wanted].map(async ([provider, keys]) => {
          const budget = Math.max(1, deadline - Date.now());
          session.stage(
            provider,
            keys,
            await client.ask(provider, [...keys], { budgetMs: budget }),
          );
        }),
      );
      ({ out, wanted } = session.run(evaluate));
    }
    return out;
  } finally {
    session.end();
  }
}
