import { KeyedQueue } from '../../core/keyed-queue.js';
import { buildBundle, BuildStage, PolicyBuildError, type BuildOptions } from './build.js';
import { suiteFailures } from './gatekeeper/suite.js';
import { loadBundle, type PolicyBundle } from './bundle.js';

/** What a reload did: swapped in a new bundle, or kept the last good one and why. */
export type ReloadResult =
  | { readonly ok: true; readonly revision: string; readonly policies: number }
  | { readonly ok: false; readonly error: PolicyBuildError; readonly kept: string | undefined };

export interface BundleStoreHooks {
  /**
   * Run the Gatekeeper templates' suites before a bundle goes live. A webhook fed by the
   * reconciler leaves them to it: they run in-process and would hold admission meanwhile.
   * @default true
   */
  readonly runSuites?: boolean;
  /** Runs before a new bundle goes live; a rejection refuses it (stage load). */
  beforeSwap?(bundle: PolicyBundle): Promise<void>;
  onLoaded?(bundle: PolicyBundle): void;
  onLoadError?(error: PolicyBuildError): void;
}

/**
 * Holds the live policy bundle. A reload builds, tests and instantiates a new bundle off to the
 * side and swaps it in with one assignment, so a request sees the old bundle or the new one,
 * never a mix; a failed reload keeps the last good bundle. Reloads run one at a time.
 */
export class BundleStore {
  #current: PolicyBundle | undefined;
  /** Reloads run one at a time. */
  #reloads = new KeyedQueue();
  #lastError: PolicyBuildError | undefined;

  constructor(
    private readonly options: BuildOptions,
    private readonly hooks: BundleStoreHooks = {},
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The live bundle; undefined until the first good load. */
  get current(): PolicyBundle | undefined {
    return this.#current;
  }

  /** The error of the most recent failed reload, cleared by a good one. */
  get lastError(): PolicyBuildError | undefined {
    return this.#lastError;
  }

  /** Build `dir` and swap it in if it is good. Never throws for a bad policy: see ReloadResult. */
  reload(dir: string, revision?: string): Promise<ReloadResult> {
    return this.#reloads.run('reload', () => this.#reload(dir, revision));
  }

  async #reload(dir: string, revision?: string): Promise<ReloadResult> {
    try {
      const built = await buildBundle(
        dir,
        revision === undefined ? this.options : { ...this.options, revision },
      );
      const bundle = await loadBundle(built, this.nowMs);
      // Gatekeeper templates are tested by their own gator-style suites before they go live.
      const suites = built.templates?.length && this.hooks.runSuites !== false;
      const failed = suites ? suiteFailures(dir, bundle) : [];
      if (failed.length > 0)
        throw new PolicyBuildError(
          BuildStage.test,
          failed
            .slice(0, 5)
            .map((f) => `${f.suite} ${f.test}/${f.case}: ${f.unsupported ?? f.message ?? ''}`)
            .join('; ')
            .slice(0, 2000),
        );
      await this.hooks.beforeSwap?.(bundle);
      this.#current = bundle;
      this.#lastError = undefined;
      this.hooks.onLoaded?.(bundle);
      return { ok: true, revision: bundle.revision, policies: bundle.policies.length };
    } catch (err) {
      const error =
        err instanceof PolicyBuildError
          ? err
          : new PolicyBuildError('load', String((err as Error)?.message ?? err), { cause: err });
      this.#lastError = error;
      this.hooks.onLoadError?.(error);
      return { ok: false, error, kept: this.#current?.revision };
    }
  }
}
