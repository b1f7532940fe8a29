import {
  HookPhase,
  phaseWaves,
  type HookObject,
  type HookReport,
} from '../model/hook-annotations.js';
import type { ObjectStatus } from '../model/source-state.js';
import type { SyncContext } from './context.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';
import { deleteByPolicy, runPhase, type RanHook, type RunningHook } from './hook-run.js';

/** Where the hooks' progress goes (the shell records it in status). */
export interface HookProgress {
  /** Every hook of the revision that ran, so far. */
  readonly reports: (all: readonly HookReport[]) => void;
  readonly running: RunningHook;
}
import { awaitHealthy } from './hooks.js';

/**
 * The hooks of one revision, run once while that revision is first applied (Argo CD's phases):
 * PreSync before anything is applied, Sync hooks between the waves by their own wave, PostSync
 * once every synced object is Healthy, SyncFail when a hook failed. A revision applied in full
 * before (a resync, a restart) runs none. A failed hook stalls the revision: nothing more of it
 * is applied until the head moves. Argo CD's hooks are deleted by their policy once the whole
 * sync is over (PostSync done, or the sync failed); Helm's after their own phase (runPhase).
 */
export class RevisionHooks {
  #revision: string | undefined;
  #hooks: readonly HookObject[] = [];
  #ran = new Set<string>();
  #failed: ReconcileError | undefined;
  /** Argo CD hooks that ran, deleted by their policy when the operation ends. */
  #afterOperation: RanHook[] = [];
  #reports: readonly HookReport[] = [];

  constructor(
    private readonly ctx: SyncContext,
    private readonly progress: HookProgress,
  ) {}

  /** A new revision's hooks (nothing of them has run). */
  adopt(revision: string, hooks: readonly HookObject[]): void {
    this.#revision = revision;
    this.#hooks = hooks;
    this.#ran = new Set();
    this.#failed = undefined;
    this.#reports = [];
    this.progress.reports([]);
  }

  get hooks(): readonly HookObject[] {
    return this.#hooks;
  }

  /** Whether hooks run for this converge: the revision was not applied in full before. */
  #active(isNew: boolean): boolean {
    return isNew && this.#revision !== undefined && this.#hooks.length > 0;
  }

  // Run a phase's hooks (the waves `wanted` picks) once; a failure runs SyncFail and stalls.
  async #run(
    phase: HookPhase,
    key: string,
    wanted?: (wave: number) => boolean,
  ): Promise<ReconcileError | undefined> {
    if (this.#failed) return this.#failed;
    if (this.#ran.has(key)) return undefined;
    this.#ran.add(key);
    const got = await this.#phase(phase, wanted);
    const failed = got.find((r) => r.status === 'Failed');
    if (!failed) return undefined;
    await this.#phase(HookPhase.SyncFail);
    await this.#operationOver();
    this.#failed = new ReconcileError(
      ReconcileCode.RECONCILE_HOOK_FAILED,
      `${failed.phase} hook ${failed.object} failed: ${failed.message}; the sync of ${this.#revision?.slice(0, 12)} stopped`,
    );
    return this.#failed;
  }

  // Run a phase; what ran goes to status, Argo CD's hooks wait for the operation's end.
  async #phase(phase: HookPhase, wanted?: (wave: number) => boolean): Promise<HookReport[]> {
    const { reports, afterOperation } = await runPhase(
      this.ctx,
      this.#hooks,
      phase,
      wanted ?? (() => true),
      this.progress.running,
    );
    this.#reports = [...this.#reports, ...reports];
    this.progress.reports(this.#reports);
    this.#afterOperation.push(...afterOperation);
    return reports;
  }

  async #operationOver(): Promise<void> {
    const ran = this.#afterOperation.splice(0);
    await deleteByPolicy(this.ctx, ran);
  }

  /** PreSync hooks; an error means apply nothing of this revision. */
  pre(isNew: boolean): Promise<ReconcileError | undefined> {
    return this.#active(isNew) ? this.#run(HookPhase.PreSync, 'pre') : Promise.resolve(undefined);
  }

  /** For the apply stage: before a wave applies, the Sync hooks of earlier waves not yet run. */
  beforeWave(isNew: boolean): (wave: number) => Promise<ReconcileError | undefined> {
    return async (wave) => {
      if (!this.#active(isNew)) return this.#failed;
      const due = phaseWaves(this.#hooks, HookPhase.Sync)
        .map((hs) => (hs[0] as HookObject).wave)
        .filter((w) => w < wave && !this.#ran.has(`sync:${w}`));
      if (due.length === 0) return this.#failed;
      for (const w of due.slice(1)) this.#ran.add(`sync:${w}`);
      return this.#run(HookPhase.Sync, `sync:${due[0]}`, (w) => due.includes(w));
    };
  }

  /** After a clean apply: once every synced object is Healthy, the PostSync hooks. */
  async post(
    isNew: boolean,
    objects: ReadonlyMap<string, ObjectStatus>,
  ): Promise<ReconcileError | undefined> {
    if (!this.#active(isNew) || this.#ran.has('post')) return this.#failed;
    if (this.#hooks.some((h) => h.phases.includes(HookPhase.PostSync))) {
      const waiting = await awaitHealthy(this.ctx, objects);
      if (waiting) return waiting;
      const failed = await this.#run(HookPhase.PostSync, 'post');
      if (failed) return failed;
    }
    await this.#operationOver();
    return undefined;
  }
}
