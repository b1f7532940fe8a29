import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { backoffMs } from '../core/backoff.js';
import { isObject } from '../core/object.js';
import { kubeJson, kubeRequest, type KubeAccess } from './kube-access.js';

/** A list page or a watch event larger than this is refused (the watch is reopened). */
export const MAX_WATCH_BODY = 8 * 1024 * 1024;

/** What a ListWatch tells its owner: a complete fresh list, then each change. */
export interface ListWatchSink {
  /** Everything the list returned (replaces what was there). */
  replace(items: readonly unknown[]): void;
  put(obj: Record<string, unknown>): void;
  remove(obj: Record<string, unknown>): void;
  /** A list or watch failed (it is retried with backoff). */
  onError?(err: unknown): void;
}

/**
 * One resource collection of the apiserver followed without a client library: list (paged),
 * then watch from the list's resourceVersion; on any error (410 Gone included) list again after
 * a backoff. Every response is bounded in size.
 */
export class ListWatch {
  #stopped = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #res: IncomingMessage | undefined;

  constructor(
    private readonly access: KubeAccess,
    /** The collection, e.g. /apis/networking.k8s.io/v1/ingresses. */
    private readonly path: string,
    private readonly sink: ListWatchSink,
    private readonly log: Logger,
  ) {}

  /** List, then keep watching; resolves after the first list (rejects when it fails). */
  async start(): Promise<void> {
    try {
      await this.#listAndWatch();
    } catch (err) {
      this.#retry(err);
      throw err;
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#res?.destroy();
  }

  async #listAndWatch(): Promise<void> {
    const items: unknown[] = [];
    let cont = '';
    let rv = '';
    do {
      const page = await kubeJson(
        this.access,
        `${this.path}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
        { timeoutMs: 30_000, maxBytes: MAX_WATCH_BODY },
      );
      const meta = isObject(page.metadata) ? page.metadata : {};
      if (Array.isArray(page.items)) items.push(...(page.items as unknown[]));
      cont = typeof meta.continue === 'string' ? meta.continue : '';
      rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : rv;
    } while (cont);
    if (this.#stopped) return;
    this.sink.replace(items);
    this.#failures = 0;
    this.#watch(rv);
  }

  #watch(rv: string): void {
    if (this.#stopped) return;
    const req = kubeRequest(
      this.access,
      `${this.path}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`,
    );
    req.on('response', (res) => {
      this.#res = res;
      if (res.statusCode !== 200) return this.#retry(new Error(`watch: HTTP ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        if (buf.length > MAX_WATCH_BODY) return res.destroy(new Error('watch event too large'));
        let nl;
        try {
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) rv = this.#event(line) ?? rv;
          }
        } catch (err) {
          // A bad line or an ERROR event (410 Gone): list again.
          res.destroy(err as Error);
        }
      });
      res.on('end', () => (this.#stopped ? undefined : this.#watch(rv)));
      res.on('error', (err) => this.#retry(err));
    });
    req.on('error', (err) => this.#retry(err));
    req.end();
  }

  /** Apply one watch event; returns its resourceVersion. */
  #event(line: string): string | undefined {
    const e: unknown = JSON.parse(line);
    if (!isObject(e) || !isObject(e.object)) return undefined;
    if (e.type === 'ERROR') throw new Error(`watch: ${JSON.stringify(e.object).slice(0, 200)}`);
    if (e.type === 'ADDED' || e.type === 'MODIFIED') this.sink.put(e.object);
    if (e.type === 'DELETED') this.sink.remove(e.object);
    const meta = isObject(e.object.metadata) ? e.object.metadata : {};
    return typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
  }

  #retry(err: unknown): void {
    this.#res?.destroy();
    if (this.#stopped || this.#timer) return;
    this.sink.onError?.(err);
    const delay = backoffMs(this.#failures++, 1000, 2, 60_000);
    this.log.warn(
      { path: this.path, reason: String(err).slice(0, 300), retryMs: delay },
      'list/watch failed',
    );
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#listAndWatch().catch((e: unknown) => this.#retry(e));
    }, delay);
  }
}
