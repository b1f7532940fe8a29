import { backoffMs } from '../../../core/backoff.js';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { PolicyBundle } from '../bundle.js';
import type { PolicyOutcome } from '../outcome.js';
import type { PolicyMeta } from '../discover.js';
import type { ToPool, ToWorker } from './protocol.js';
import { compiledGoModule } from '../go-builtins.js';

/** What an evaluation came to: outcomes, or why there are none (the caller applies failurePolicy). */
export type EngineAnswer =
  | { readonly kind: 'ok'; readonly revision: string; readonly outcomes: PolicyOutcome[] }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'overloaded' }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface EvalPoolOptions {
  /** Worker threads, each with its own wasm instance. @default 2 */
  readonly size: number;
  /** Deadline per evaluation, queueing included; past it the worker is replaced. @default 2000 */
  readonly timeoutMs: number;
  /** Evaluations waiting for a worker before new ones are refused as overloaded. @default 64 */
  readonly maxQueue: number;
  /** Old-generation heap of each worker (MiB); a worker past it is replaced. @default 48 */
  readonly heapMb: number;
  readonly logger: Logger;
  /** Called when a worker is replaced: after a deadline, or after it died. */
  readonly onRestart?: (reason: 'timeout' | 'crash') => void;
}

/** How long a background evaluation may wait for a worker. */
const BACKGROUND_WAIT_MS = 60_000;

/** Time kept back from a deadline for evaluating again after external data arrives. */
const EXTERNAL_DATA_MARGIN_MS = 250;

export const EVAL_POOL_DEFAULTS = { size: 2, timeoutMs: 2000, maxQueue: 64, heapMb: 48 } as const;

interface Job {
  readonly id: number;
  /** When its deadline passes (ms since the epoch). */
  deadline: number;
  /** Its deadline starts when a worker takes it (the audit). */
  readonly background?: boolean;
  readonly json: Uint8Array;
  readonly done: (a: EngineAnswer) => void;
  timer?: NodeJS.Timeout;
  slot?: Slot;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** The policies of the bundle this worker has loaded (undefined: none yet). */
  loaded?: { readonly revision: string; readonly policies: readonly PolicyMeta[] };
  loading: { revision: string; policies: readonly PolicyMeta[]; settle: (err?: Error) => void }[];
  failures: number;
  /** Exited: its replacement loads the live bundle when it starts. */
  dead?: boolean;
}

const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(`./worker${fromSource ? '.ts' : '.js'}`, import.meta.url);

/**
 * The worker's entry. Built: worker.js. From source (tests, tsx): loader hooks are per thread in
 * Node 20, so the worker registers tsx itself before importing worker.ts.
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!fromSource) return { entry: workerUrl, eval: false };
  const api = import.meta.resolve('tsx/esm/api');
  // Under a coverage run, this thread's tsx transpilation would be merged with the test runner's
  // own and corrupt the report: the worker takes no coverage (the pool itself is covered).
  return {
    entry: `require('node:v8').stopCoverage(); import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`,
    eval: true,
  };
}

/**
 * Evaluates policies off the event loop on a small pool of worker threads. A request that misses
 * its deadline gets `timeout` and its worker is terminated and replaced (with the live bundle),
 * so one runaway evaluation never stalls the others; a worker that dies is replaced the same way.
 */
export class EvalPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #bundle: PolicyBundle | undefined;
  #inventory: Uint8Array | undefined;
  #nextId = 1;
  #closed = false;

  constructor(private readonly o: EvalPoolOptions) {
    for (let i = 0; i < o.size; i++) this.#slots.push(this.#spawn(0));
  }

  /** True when at least one worker holds a bundle and can answer. */
  get healthy(): boolean {
    return this.#slots.some((s) => s.loaded !== undefined);
  }

  /** Load `bundle` into every worker; resolves when all have it, rejects on the first refusal. */
  async load(bundle: PolicyBundle): Promise<void> {
    this.#bundle = bundle;
    await Promise.all(this.#slots.filter((s) => !s.dead).map((s) => this.#send(s, bundle)));
  }

  /**
   * Gatekeeper's data.inventory (JSON text) for every worker, now and after any restart. A worker
   * takes it between evaluations.
   */
  setInventory(json: Uint8Array): void {
    this.#inventory = json;
    for (const s of this.#slots.filter((x) => !x.dead)) this.#postInventory(s);
  }

  #postInventory(slot: Slot): void {
    if (!this.#inventory) return;
    const msg: ToWorker = { type: 'inventory', json: this.#inventory };
    slot.worker.postMessage(msg);
  }

  /**
   * Evaluate JSON text (from wellFormedJson) by the live bundle. Never rejects. The deadline
   * counts from now (an admission request's time includes its wait); a `background` evaluation
   * (the audit) gets its deadline when a worker takes it, and waits at most BACKGROUND_WAIT_MS
   * for one, so a worker being replaced under load does not fail what merely queued behind it.
   */
  evaluate(json: Uint8Array, options: { background?: boolean } = {}): Promise<EngineAnswer> {
    if (this.#closed || !this.#bundle) {
      return Promise.resolve({ kind: 'unavailable', reason: 'no policy bundle loaded' });
    }
    if (this.#queue.length >= this.o.maxQueue) return Promise.resolve({ kind: 'overloaded' });
    return new Promise((resolve) => {
      const wait = options.background ? BACKGROUND_WAIT_MS : this.o.timeoutMs;
      const job: Job = {
        id: this.#nextId++,
        json,
        done: resolve,
        deadline: Date.now() + this.o.timeoutMs,
        ...(options.background ? { background: true } : {}),
      };
      job.timer = setTimeout(() => this.#expire(job), wait);
      this.#queue.push(job);
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const j of this.#queue.splice(0))
      this.#finish(j, { kind: 'unavailable', reason: 'closing' });
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(failures: number): Slot {
    const { entry, eval: isEval } = workerEntry();
    const worker = new Worker(entry, {
      eval: isEval,
      resourceLimits: { maxOldGenerationSizeMb: this.o.heapMb, maxYoungGenerationSizeMb: 8 },
    });
    const slot: Slot = { worker, loading: [], failures };
    worker.on('message', (m: ToPool) => this.#onMessage(slot, m));
    worker.on('error', (err) =>
      this.o.logger.error({ reason: err.message }, 'policy evaluation worker failed'),
    );
    worker.on('exit', () => this.#onExit(slot));
    this.#postInventory(slot);
    if (this.#bundle) void this.#send(slot, this.#bundle).catch(() => undefined);
    return slot;
  }

  #send(slot: Slot, bundle: PolicyBundle): Promise<void> {
    return new Promise((resolve, reject) => {
      slot.loading.push({
        revision: bundle.revision,
        policies: bundle.policies,
        settle: (err) => (err ? reject(err) : resolve()),
      });
      const go = bundle.built.goBuiltins && compiledGoModule(bundle.built.goBuiltins.path);
      const msg: ToWorker = { type: 'load', built: bundle.built, ...(go ? { goModule: go } : {}) };
      slot.worker.postMessage(msg);
    });
  }

  #onMessage(slot: Slot, m: ToPool): void {
    if (m.type === 'loaded' || m.type === 'load-error') {
      const pending = slot.loading.shift();
      if (m.type === 'loaded' && pending) {
        slot.loaded = { revision: pending.revision, policies: pending.policies };
        slot.failures = 0;
        pending.settle();
        this.#pump();
      } else pending?.settle(new Error(m.type === 'load-error' ? m.message : 'load lost'));
      return;
    }
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    slot.job = undefined;
    const policies = slot.loaded?.policies ?? [];
    this.#finish(
      job,
      m.error !== undefined
        ? { kind: 'unavailable', reason: m.error }
        : {
            kind: 'ok',
            revision: m.revision ?? '',
            outcomes: m.outcomes.map((w, i) => ({ policy: policies[i] as PolicyMeta, ...w })),
          },
    );
    this.#pump();
  }

  #onExit(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    slot.dead = true;
    // A load sent to a worker that is gone (died, or replaced after a deadline) never answers;
    // its replacement starts with the live bundle, so the load counts as delivered.
    for (const l of slot.loading.splice(0)) l.settle();
    if (i < 0 || this.#closed) return;
    if (slot.job) this.#finish(slot.job, { kind: 'unavailable', reason: 'evaluation worker died' });
    this.o.onRestart?.('crash');
    this.o.logger.warn({ failures: slot.failures + 1 }, 'policy evaluation worker replaced');
    // Back off when workers keep dying (e.g. a bundle that cannot load), never in a hot loop.
    const delay = backoffMs(slot.failures, 50, 2, 5000);
    slot.loaded = undefined;
    setTimeout(
      () => {
        if (!this.#closed) this.#slots[i] = this.#spawn(slot.failures + 1);
      },
      slot.failures === 0 ? 0 : delay,
    ).unref();
  }

  #expire(job: Job): void {
    const slot = job.slot;
    if (slot) {
      slot.job = undefined;
      this.#finish(job, { kind: 'timeout' });
      // The worker may be stuck in wasm: replace it rather than wait for it.
      const i = this.#slots.indexOf(slot);
      this.o.onRestart?.('timeout');
      this.#slots[i] = this.#spawn(0);
      void slot.worker.terminate();
    } else {
      const at = this.#queue.indexOf(job);
      if (at >= 0) this.#queue.splice(at, 1);
      this.#finish(job, { kind: 'timeout' });
    }
  }

  #finish(job: Job, answer: EngineAnswer): void {
    clearTimeout(job.timer);
    job.done(answer);
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.job || !slot.loaded) continue;
      const job = this.#queue.shift() as Job;
      job.slot = slot;
      slot.job = job;
      if (job.background) {
        clearTimeout(job.timer);
        job.deadline = Date.now() + this.o.timeoutMs;
        job.timer = setTimeout(() => this.#expire(job), this.o.timeoutMs);
      }
      // External data is asked within what is left of the deadline, with a margin to answer.
      const budgetMs = Math.max(1, job.deadline - Date.now() - EXTERNAL_DATA_MARGIN_MS);
      const msg: ToWorker = { type: 'eval', id: job.id, json: job.json, budgetMs };
      slot.worker.postMessage(msg, [job.json.buffer as ArrayBuffer]);
    }
  }
}
