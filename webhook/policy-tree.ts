import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { blamedFiles } from '../policies/engine/blame.js';
import { composePolicyTree, readPolicyFiles } from '../policies/engine/compose.js';
import { isolationProblems } from '../policies/engine/isolation.js';
import type { BundleStore, ReloadResult } from '../policies/engine/store.js';

/**
 * The webhook's policy tree: the local library plus the Git policies the reconciler serves
 * (already built and tested there), composed into a fresh tree for every build. A build that
 * fails is tried once more without the policies and templates its error names, so one broken
 * template is refused alone and the rest goes live (reported as `refused`).
 */
export class PolicyTree {
  #git: Readonly<Record<string, string>> = {};
  #expected = false;
  /** Files left out of the live bundle because they broke the build (empty when none). */
  refused: readonly string[] = [];

  constructor(
    private readonly dir: string,
    private readonly store: BundleStore,
    private readonly log: Logger,
  ) {}

  /**
   * Whether there are policies to enforce (local or from Git): until a bundle of them is live,
   * admission is refused rather than unchecked.
   */
  get expected(): boolean {
    return this.#expected;
  }

  /** Take the reconciler's Git policies; false (and the previous ones kept) when they fail here. */
  async setGit(files: Readonly<Record<string, string>>): Promise<boolean> {
    const previous = this.#git;
    this.#git = files;
    if (await this.reload()) return true;
    this.#git = previous;
    return false;
  }

  async reload(): Promise<boolean> {
    let local: Record<string, string>;
    try {
      local = readPolicyFiles(this.dir);
      // The reconciler checked this; a webhook never lets Git files reach into its own library.
      const isolation = isolationProblems(local, new Map([['git', this.#git]]));
      if (isolation.length > 0) throw new Error(isolation.join('; '));
    } catch (err) {
      this.log.error({ reason: (err as Error).message }, 'cannot compose the policy tree');
      return false;
    }
    this.#expected = Object.keys(local).length + Object.keys(this.#git).length > 0;
    const first = await this.#build([local, this.#git]);
    if (first.ok) {
      this.refused = [];
      return true;
    }
    const blamed = new Set(blamedFiles({ ...local, ...this.#git }, first.error.message));
    if (blamed.size === 0) return false;
    const without = (files: Record<string, string>) =>
      Object.fromEntries(Object.entries(files).filter(([f]) => !blamed.has(f)));
    const second = await this.#build([without(local), without({ ...this.#git })]);
    if (!second.ok) return false;
    this.refused = [...blamed];
    this.log.error(
      { refused: this.refused, reason: first.error.message },
      'policies refused alone; the rest is live',
    );
    return true;
  }

  async #build(layers: Readonly<Record<string, string>>[]): Promise<ReloadResult> {
    const tree = composePolicyTree(join(tmpdir(), 'driftgate-webhook-policies'), layers);
    try {
      return await this.store.reload(tree.dir);
    } finally {
      tree.remove();
    }
  }
}
