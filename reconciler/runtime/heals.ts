import type { Logger } from 'pino';
import type { KeyedQueue } from '../../core/keyed-queue.js';
import { refKey, type ObjectRef } from '../model/objects.js';
import type { SourceState } from '../model/source-state.js';
import type { HealResult } from '../sync/heal.js';
import type { KeyedTimers } from './clock.js';

/** First and longest wait before an object still Progressing is looked at again. */
const PROGRESS_FIRST_MS = 2_000;
const PROGRESS_MAX_MS = 30_000;
/** Objects per source followed that way at most (each costs a GET per look). */
const PROGRESS_MAX_OBJECTS = 100;

/** An object as a watch event carried it (live undefined: deleted). */
export type Observed = { readonly live: Record<string, unknown> | undefined };

/** What a heal needs of a source. */
export interface HealSource {
  readonly cfg: { readonly name: string };
  readonly state: Pick<SourceState, 'objects'>;
  heal(ref: ObjectRef, observed?: Observed): Promise<HealResult>;
}

export interface HealsOptions {
  readonly queue: KeyedQueue;
  readonly timers: KeyedTimers;
  readonly logger: Logger;
  readonly source: (name: string) => HealSource | undefined;
  /** After each heal, whatever its outcome. */
  readonly onHealed?: (name: string) => void;
}

/**
 * Heals of single objects on the sources' queues: at most one pending per object (events that
 * come while it waits only replace the object it will compare), and objects still Progressing
 * looked at again with backoff until they settle.
 */
export class Heals {
  readonly #pending = new Map<string, Observed | undefined>();

  constructor(private readonly o: HealsOptions) {}

  /** Heal `ref` of `source` soon; without `observed` the heal reads the object. Logs failures. */
  heal(source: string, ref: ObjectRef, onError: string, observed?: Observed): void {
    const s = this.o.source(source);
    if (!s) return;
    const key = `${source}|${refKey(ref)}`;
    const waiting = this.#pending.has(key);
    this.#pending.set(key, observed);
    if (waiting) return;
    void this.o.queue
      .run(source, () => {
        const seen = this.#pending.get(key);
        this.#pending.delete(key);
        return s.heal(ref, seen);
      })
      .then(() => this.o.onHealed?.(source))
      .catch((err: unknown) =>
        this.o.logger.warn({ source, reason: (err as Error).message }, onError),
      );
  }

  // Objects still Progressing are looked at again soon (a watch event may have come before the
  // watch did), backing off to PROGRESS_MAX_MS, until they settle or the next resync.
  followProgress(s: HealSource, delay = PROGRESS_FIRST_MS): void {
    // Bounded: a source with many stuck objects leaves the rest to watches and resyncs.
    const progressing = [...s.state.objects.values()].filter((o) => o.health === 'Progressing');
    for (const o of progressing.slice(0, PROGRESS_MAX_OBJECTS)) this.#follow(s, o.ref, delay);
  }

  #follow(s: HealSource, ref: ObjectRef, delay: number): void {
    const key = `progress|${s.cfg.name}|${refKey(ref)}`;
    if (this.o.timers.due(key) !== undefined) return;
    this.o.timers.after(key, delay, () => {
      void this.o.queue
        .run(s.cfg.name, () => s.heal(ref))
        .then(() => {
          this.o.onHealed?.(s.cfg.name);
          if (s.state.objects.get(refKey(ref))?.health === 'Progressing')
            this.#follow(s, ref, Math.min(delay * 2, PROGRESS_MAX_MS));
        })
        .catch(() => undefined);
    });
  }
}
