/**
 * Serialises work per key: a task for a key starts after the previous one for that key settles
 * (a failed task does not block the next). `onDepth` is told how many tasks are queued or running.
 */
export class KeyedQueue {
  #tails = new Map<string, Promise<unknown>>();
  #pending = 0;
  constructor(private readonly onDepth: (n: number) => void = () => undefined) {}

  /** Run `task` after the earlier tasks of `key`; resolves or rejects as the task does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.onDepth(++this.#pending);
    const next = (this.#tails.get(key) ?? Promise.resolve())
      .then(task)
      .finally(() => this.onDepth(--this.#pending));
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    // Forget a key once its last task settled, so the map does not grow with every key seen.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
