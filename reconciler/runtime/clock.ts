/** A timer handle of whatever clock made it. */
export type TimerHandle = unknown;

/** Time and delays, injected so the runtime is tested without waiting (client-node's delayFn seam). */
export interface Clock {
  now(): number;
  /** Run `fn` after `ms`; the timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** One timer per key: setting a key again replaces its timer. */
export class KeyedTimers {
  #timers = new Map<string, { at: number; handle: TimerHandle }>();
  #stopped = false;
  constructor(private readonly clock: Clock = realClock) {}

  /** Run `fn` at `at` (epoch ms) under `key`, unless that key is already due at that time. */
  at(key: string, at: number, fn: () => void): void {
    if (this.#stopped || this.#timers.get(key)?.at === at) return;
    this.after(key, Math.max(0, at - this.clock.now()), fn, at);
  }

  /** Run `fn` after `ms` under `key`, replacing what the key held. */
  after(key: string, ms: number, fn: () => void, at = this.clock.now() + ms): void {
    if (this.#stopped) return;
    this.cancel(key);
    const handle = this.clock.setTimeout(() => {
      if (this.#timers.get(key)?.handle === handle) this.#timers.delete(key);
      fn();
    }, ms);
    this.#timers.set(key, { at, handle });
  }

  cancel(key: string): void {
    const t = this.#timers.get(key);
    if (t) this.clock.clearTimeout(t.handle);
    this.#timers.delete(key);
  }

  /** When `key` is due (epoch ms), if it is set. */
  due(key: string): number | undefined {
    return this.#timers.get(key)?.at;
  }

  /** Cancel everything; later calls do nothing. */
  stop(): void {
    this.#stopped = true;
    for (const key of [...this.#timers.keys()]) this.cancel(key);
  }
}
