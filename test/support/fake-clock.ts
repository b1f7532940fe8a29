// A manual clock for the runtime's timers: time moves only when a test advances it, so retries
// and expiries are checked without waiting. The real clock is the runtime's default.
import type { Clock, TimerHandle } from '../../reconciler/runtime/clock.js';

/** Let pending promise callbacks and I/O callbacks run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = Date.parse('2026-11-30T12:00:00Z')) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }
  /** Delays of the timers set, from now, sorted. */
  pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }
  /** Move time forward by `ms`, running every timer that falls due, in order, settling after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      const next = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
      await settle();
    }
    this.#now = end;
  }
}
