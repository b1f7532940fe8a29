import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PolicyFilesDoc } from '../../core/desired-index.js';
import { composePolicyTree, readPolicyFiles } from '../../policies/engine/compose.js';
import { isolationProblems } from '../../policies/engine/isolation.js';
import {
  combineEnforcement,
  type SourcePolicies,
} from '../../policies/engine/enforcement-sources.js';
import { ENFORCEMENT_FILE } from '../../policies/engine/enforcement.js';
import type { PolicyBundle } from '../../policies/engine/bundle.js';
import { BundleStore } from '../../policies/engine/store.js';
import { TENANCY_FILE, tenancyText } from '../../policies/engine/tenancy.js';
import type { EnforcementConfig } from '../../policies/engine/enforcement.js';

export interface PolicyHubOptions {
  readonly opaPath: string;
  /** Allow the builtins answered by opa-builtins.wasm (BuildOptions.opaBuiltins). */
  readonly opaBuiltins?: boolean;
  /** Built-in policy library shipped with driftgate (optional). */
  readonly builtinDir?: string;
  /** Where policy trees are composed for a build. */
  readonly workDir: string;
  readonly logger: Logger;
  /** The platform's action and scope per policy, compiled into every bundle. */
  readonly enforcement?: EnforcementConfig;
  /** Called with each bundle that goes live (the gate readies its worker with it). */
  readonly onLive?: (bundle: PolicyBundle) => void;
}

export type PolicyUpdate = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * The reconciler's policies: the built-in library plus every source's policy path at its
 * verified commit. A source's new policy files are built and tested (opa test, opa build) with
 * everything else; only a good build goes live and becomes what webhooks are served, so a broken
 * commit never replaces the last good policies anywhere.
 */
export class PolicyHub {
  readonly store: BundleStore;
  #bySource = new Map<string, SourcePolicies>();
  #builtin: Readonly<Record<string, string>>;
  #served: PolicyFilesDoc | undefined;

  constructor(private readonly o: PolicyHubOptions) {
    this.store = new BundleStore({
      opaPath: o.opaPath,
      opaBuiltins: o.opaBuiltins === true,
      ...(o.enforcement ? { enforcement: o.enforcement } : {}),
    });
    this.#builtin = o.builtinDir ? readPolicyFiles(o.builtinDir) : {};
  }

  /** The live bundle (gate and audit); undefined until a first good build. */
  get current(): PolicyBundle | undefined {
    return this.store.current;
  }

  /** The Git policy files of the live bundle, for webhooks (`GET /v1/policies`). */
  get served(): PolicyFilesDoc | undefined {
    return this.#served;
  }

  /** Build the built-in library alone (start-up, before any source has a policy path). */
  async init(): Promise<PolicyUpdate> {
    if (Object.keys(this.#builtin).length === 0) return { ok: true };
    return this.#build(this.#bySource);
  }

  /**
   * A source's policy path at a verified commit (with its enforcement file, reaching as far as
   * the source's `policyEnforcement` allows). Keeps the last good policies on failure.
   */
  async update(source: string, policies: SourcePolicies): Promise<PolicyUpdate> {
    const next = new Map(this.#bySource);
    next.set(source, policies);
    return this.#build(next);
  }

  async #build(next: Map<string, SourcePolicies>): Promise<PolicyUpdate> {
    const enforcement = combineEnforcement(next);
    const isolation = [
      ...enforcement.problems,
      ...isolationProblems(this.#builtin, enforcement.files),
      ...[...enforcement.files]
        .filter(([, files]) => files[TENANCY_FILE] !== undefined)
        .map(([name]) => `source ${name}: ${TENANCY_FILE} is the platform's file, not a source's`),
    ];
    if (isolation.length > 0) return { ok: false, error: `layout: ${isolation.join('; ')}` };
    const git: Record<string, string> = {};
    for (const name of [...enforcement.files.keys()].sort())
      Object.assign(git, enforcement.files.get(name));
    if (enforcement.text !== undefined) git[ENFORCEMENT_FILE] = enforcement.text;
    const tenants = [...next]
      .filter(([, s]) => s.namespaces !== undefined)
      .map(([source, s]) => ({
        source,
        namespaces: s.namespaces ?? [],
        files: Object.keys(enforcement.files.get(source) ?? {}),
      }));
    if (tenants.length > 0) git[TENANCY_FILE] = tenancyText(tenants);
    const revision = createHash('sha256')
      .update(JSON.stringify([this.#builtin, git]))
      .digest('hex')
      .slice(0, 16);
    return this.#load(git, revision, () => (this.#bySource = next));
  }

  /**
   * The leader's policies as it serves them (a shard member's gate): the built-in library plus
   * the document's Git files, built and tested here too. A failed build keeps the last good one.
   */
  async adopt(doc: PolicyFilesDoc): Promise<PolicyUpdate> {
    if (doc.revision === this.#served?.revision) return { ok: true };
    return this.#load(doc.files, doc.revision, () => undefined);
  }

  async #load(
    git: Record<string, string>,
    revision: string,
    onGood: () => void,
  ): Promise<PolicyUpdate> {
    let tree: { dir: string; remove(): void };
    try {
      tree = composePolicyTree(this.o.workDir, [this.#builtin, git]);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    try {
      const r = await this.store.reload(tree.dir, revision);
      if (!r.ok) {
        this.o.logger.error(
          { stage: r.error.stage, reason: r.error.message },
          'policies refused; last good policies stay',
        );
        return { ok: false, error: `${r.error.stage}: ${r.error.message}`.slice(0, 2000) };
      }
      onGood();
      this.#served = { version: 1, revision, files: git };
      this.o.logger.info({ revision, policies: r.policies }, 'policies live');
      if (this.store.current) this.o.onLive?.(this.store.current);
      for (const conflict of this.store.current?.built.mutatorConflicts ?? [])
        this.o.logger.warn({ revision, conflict }, 'mutator not applied: schema conflict');
      return { ok: true };
    } finally {
      tree.remove();
    }
  }
}
