import type { Logger } from 'pino';
import { backoffMs } from '../../core/backoff.js';
import type { Clock } from './clock.js';
import { KeyedTimers } from './clock.js';

/** An object a watch reported changed or deleted. */
export interface WatchedObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
}

/**
 * Opens one watch (of one namespace when given, else cluster-wide): calls `onEvent` per event
 * and `onEnd` when it ends; returns a stopper.
 */
export type OpenWatch = (
  apiVersion: string,
  kind: string,
  onEvent: (phase: string, obj: WatchedObject) => void,
  onEnd: () => void,
  namespace?: string,
) => Promise<{ abort(): void }>;

export interface WatchesOptions {
  readonly open: OpenWatch;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A MODIFIED or DELETED object of a watched kind (the event's object, as it then was). */
  readonly onChange: (
    apiVersion: string,
    kind: string,
    obj: WatchedObject,
    phase: 'MODIFIED' | 'DELETED',
  ) => void;
  /** A watch came back after a gap: changes made meanwhile were never seen. */
  readonly onGap: (apiVersion: string, kind: string) => void;
}

/**
 * One watch per kind, kept open: a watch that fails or ends is reopened with backoff, and a
 * reopened watch reports the gap so the caller can resync what it missed.
 */
export class KindWatches {
  #open = new Map<string, { abort(): void } | undefined>();
  #retries: KeyedTimers;
  #stopped = false;

  constructor(private readonly o: WatchesOptions) {
    this.#retries = new KeyedTimers(o.clock);
  }

  /** Watch `apiVersion`/`kind` (in `namespace` only, when given) unless it is watched already. */
  async ensure(apiVersion: string, kind: string, namespace?: string): Promise<void> {
    const key = `${apiVersion}|${kind}|${namespace ?? ''}`;
    if (this.#open.has(key)) return;
    this.#open.set(key, undefined);
    await this.#start(key, apiVersion, kind, 0, namespace);
  }

  get watched(): string[] {
    return [...this.#open.keys()];
  }

  async #start(
    key: string,
    apiVersion: string,
    kind: string,
    failures: number,
    namespace?: string,
  ): Promise<void> {
    if (this.#stopped) return;
    // Reopen after a backoff that grows with the failures in a row (reset once one opens).
    const reopen = (after: number): void =>
      this.#retries.after(key, backoffMs(Math.min(after, 5), 500, 2, 15_000), () => {
        void this.#start(key, apiVersion, kind, after + 1, namespace);
      });
    let ended = false;
    try {
      const w = await this.o.open(
        apiVersion,
        kind,
        (phase, obj) => {
          if (phase === 'MODIFIED' || phase === 'DELETED')
            this.o.onChange(apiVersion, kind, obj, phase);
        },
        () => {
          ended = true;
          reopen(0);
        },
        namespace,
      );
      if (this.#stopped) return w.abort();
      this.#open.set(key, w);
      if (!ended && failures > 0) this.o.onGap(apiVersion, kind);
    } catch (err) {
      this.o.logger.warn({ kind, reason: (err as Error).message }, 'watch failed; retrying');
      reopen(failures);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#retries.stop();
    for (const w of this.#open.values()) w?.abort();
  }
}
