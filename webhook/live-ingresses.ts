import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { backoffMs } from '../core/backoff.js';
import { refOfIngress, type IngressRef } from '../core/ingress-hosts.js';
import { isObject } from '../core/object.js';
import { kubeJson, kubeRequest, type KubeAccess } from './kube-access.js';

/** At most this many live Ingresses are remembered (hosts only); more are left out. */
export const MAX_LIVE_INGRESSES = 50_000;
/** A list page or a watch event larger than this is refused (the watch is reopened). */
const MAX_BODY = 8 * 1024 * 1024;
const PATH = '/apis/networking.k8s.io/v1/ingresses';

interface Meta {
  readonly namespace?: string;
  readonly name?: string;
  readonly resourceVersion?: string;
}

/**
 * The hosts of every Ingress in the cluster for the unique-host policy: list, then watch from
 * the list's resourceVersion; on any error (410 Gone included) list again after a backoff.
 * Only namespace, name and hosts are kept; every response is bounded in size.
 */
export class LiveIngresses {
  #byKey = new Map<string, IngressRef>();
  #stopped = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #res: IncomingMessage | undefined;

  constructor(
    private readonly access: KubeAccess,
    private readonly log: Logger,
    private readonly onError: () => void = () => {},
    private readonly onSize: (n: number) => void = () => {},
  ) {}

  refs(): Iterable<IngressRef> {
    return this.#byKey.values();
  }

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
    const next = new Map<string, IngressRef>();
    let cont = '';
    let rv = '';
    do {
      const page = await this.#get(
        `${PATH}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
      );
      const meta = isObject(page.metadata) ? page.metadata : {};
      for (const item of Array.isArray(page.items) ? page.items : []) this.#put(next, item);
      cont = typeof meta.continue === 'string' ? meta.continue : '';
      rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : rv;
    } while (cont);
    this.#byKey = next;
    this.onSize(next.size);
    this.#failures = 0;
    this.#watch(rv);
  }

  #put(into: Map<string, IngressRef>, obj: unknown): void {
    const ref = refOfIngress(obj);
    if (!ref) return;
    const key = `${ref.namespace}/${ref.name}`;
    if (into.size >= MAX_LIVE_INGRESSES && !into.has(key)) return;
    into.set(key, ref);
  }

  #watch(rv: string): void {
    if (this.#stopped) return;
    const req = this.#request(`${PATH}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`);
    req.on('response', (res) => {
      this.#res = res;
      if (res.statusCode !== 200) return this.#retry(new Error(`watch: HTTP ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        if (buf.length > MAX_BODY) return res.destroy(new Error('watch event too large'));
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
    const meta = (isObject(e.object.metadata) ? e.object.metadata : {}) as Meta;
    if (e.type === 'ERROR') throw new Error(`watch: ${JSON.stringify(e.object).slice(0, 200)}`);
    if (e.type === 'ADDED' || e.type === 'MODIFIED') this.#put(this.#byKey, e.object);
    if (e.type === 'DELETED') this.#byKey.delete(`${meta.namespace}/${meta.name}`);
    this.onSize(this.#byKey.size);
    return meta.resourceVersion;
  }

  #retry(err: unknown): void {
    this.#res?.destroy();
    if (this.#stopped || this.#timer) return;
    this.onError();
    const delay = backoffMs(this.#failures++, 1000, 2, 60_000);
    this.log.warn({ reason: String(err).slice(0, 300), retryMs: delay }, 'ingress watch failed');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#listAndWatch().catch((e: unknown) => this.#retry(e));
    }, delay);
  }

  #request(path: string) {
    return kubeRequest(this.access, path);
  }

  #get(path: string): Promise<Record<string, unknown>> {
    return kubeJson(this.access, path, { timeoutMs: 30_000, maxBytes: MAX_BODY });
  }
}
