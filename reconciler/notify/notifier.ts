// Sends source events to the providers whose alerts match: each provider has a bounded queue and
// one sender, so a slow, down or failing endpoint delays only its own notifications, never a sync
// or an admission (notify() returns at once). Retries with backoff on network errors, 429 and
// 5xx; the same event for the same commit is sent once within the dedup window; past the queue
// size new events are dropped and counted. Endpoint URLs and tokens are read from their files at
// send time (a rotated Secret applies) and never reach logs, metrics or errors.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { backoffMs } from '../../core/backoff.js';
import type { ReconcilerMetrics } from '../metrics.js';
import {
  commitStatusRequest,
  repositoryId,
  slackRequest,
  webhookRequest,
  type NotifyEvent,
  type OutboundRequest,
} from './payloads.js';
import { post, type PostAnswer } from '../../core/post.js';
import type { NotificationsConfig, ProviderConfig } from './config.js';

const ATTEMPTS = 4;
const MAX_RETRY_WAIT_MS = 60_000;
const MAX_SEEN = 10_000;

export interface NotifierDeps {
  readonly metrics: ReconcilerMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly send?: (
    r: OutboundRequest,
    opts: { timeoutMs: number; ca?: string },
  ) => Promise<PostAnswer>;
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
const read = (file: string | undefined) => (file ? readFileSync(file, 'utf8').trim() : undefined);

class Outbox {
  readonly #queue: NotifyEvent[] = [];
  #running = false;
  #nextAt = 0;
  constructor(
    private readonly p: ProviderConfig,
    private readonly cfg: NotificationsConfig,
    private readonly d: Required<Omit<NotifierDeps, 'logger'>> & { logger: Logger },
  ) {}

  push(e: NotifyEvent): void {
    const m = this.d.metrics.notifications;
    if (this.#queue.length >= this.cfg.queueSize)
      return m.inc({ provider: this.p.name, result: 'dropped' });
    this.#queue.push(e);
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      for (let e = this.#queue.shift(); e; e = this.#queue.shift()) await this.#deliver(e);
    } finally {
      this.#running = false;
    }
  }

  #request(e: NotifyEvent): OutboundRequest | undefined {
    const p = this.p;
    const address = read(p.addressFile) ?? p.address;
    if (p.type === 'webhook')
      return address ? webhookRequest(address, e, read(p.secretFile)) : undefined;
    if (p.type === 'slack') return address ? slackRequest(address, e) : undefined;
    return commitStatusRequest(p.type, address, e, read(p.tokenFile) ?? '');
  }

  /** Whether this provider may set a commit status for `e`'s repository (webhooks: always). */
  #mayPost(e: NotifyEvent): boolean {
    if (this.p.type === 'webhook' || this.p.type === 'slack') return true;
    if (this.p.repositories.length === 0) return !e.source.includes('.'); // a GitSource: ns.name
    const id = repositoryId(e.repoURL);
    return id !== undefined && this.p.repositories.some((r) => glob(r).test(id));
  }

  async #deliver(e: NotifyEvent): Promise<void> {
    const { metrics, logger } = this.d;
    const provider = this.p.name;
    if (!this.#mayPost(e)) {
      logger.info(
        { provider, source: e.source },
        "commit status not set: the repository is not among the provider's repositories",
      );
      return metrics.notifications.inc({ provider, result: 'refused' });
    }
    let r: OutboundRequest | undefined;
    try {
      r = this.#request(e);
    } catch (err) {
      logger.warn(
        { provider, reason: (err as NodeJS.ErrnoException).code ?? 'unreadable' },
        'notification not sent: its files cannot be read',
      );
      return metrics.notifications.inc({ provider, result: 'failed' });
    }
    if (!r) return; // nothing this provider says about that event (commit status of a drift fight)
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // The rate limit: requests spaced evenly over the minute.
      const wait = this.#nextAt - this.d.now();
      if (wait > 0) await this.d.sleep(wait);
      this.#nextAt = this.d.now() + 60_000 / this.p.perMinute;
      let retryIn = backoffMs(attempt, 1000, 2, MAX_RETRY_WAIT_MS);
      let why: string;
      try {
        const ca = read(this.p.caFile);
        const a = await this.d.send(r, { timeoutMs: this.p.timeoutMs, ...(ca ? { ca } : {}) });
        if (a.status >= 200 && a.status < 300)
          return metrics.notifications.inc({ provider, result: 'sent' });
        why = `HTTP ${a.status}`;
        if (a.status !== 429 && a.status < 500) break;
        if (a.retryAfterS !== undefined)
          retryIn = Math.min(MAX_RETRY_WAIT_MS, a.retryAfterS * 1000);
      } catch (err) {
        why = (err as Error).message;
      }
      logger.warn(
        { provider, event: e.reason, source: e.source, attempt: attempt + 1, reason: why },
        'notification not delivered',
      );
      if (attempt + 1 < ATTEMPTS) await this.d.sleep(retryIn);
    }
    metrics.notifications.inc({ provider, result: 'failed' });
  }
}

export class Notifier {
  readonly #boxes = new Map<string, Outbox>();
  readonly #seen = new Map<string, number>();
  readonly #alerts: {
    providers: readonly string[];
    events: ReadonlySet<string>;
    sources: RegExp[];
  }[];
  readonly #now: () => number;

  constructor(
    private readonly cfg: NotificationsConfig,
    private readonly d: NotifierDeps,
  ) {
    this.#now = d.now ?? Date.now;
    const deps = {
      now: this.#now,
      sleep: d.sleep ?? sleepFor,
      send: d.send ?? post,
      metrics: d.metrics,
      logger: d.logger,
    };
    for (const p of cfg.providers) {
      this.#boxes.set(p.name, new Outbox(p, cfg, deps));
      for (const result of ['sent', 'failed', 'dropped', 'deduplicated', 'refused'])
        d.metrics.notifications.inc({ provider: p.name, result }, 0);
    }
    this.#alerts = cfg.alerts.map((a) => ({
      providers: a.providers,
      events: new Set(a.events),
      sources: a.sources.map(glob),
    }));
  }

  /** Hand an event to every provider an alert sends it to. Returns at once; never throws. */
  notify(e: NotifyEvent): void {
    const now = this.#now();
    // Keys are kept in the order they were seen: drop the expired ones from the front only.
    for (const [k, at] of this.#seen) {
      if (now - at < this.cfg.dedupWindowMs) break;
      this.#seen.delete(k);
    }
    const providers = new Set<string>();
    for (const a of this.#alerts)
      if (a.events.has(e.reason) && a.sources.some((s) => s.test(e.source)))
        for (const p of a.providers) providers.add(p);
    for (const p of providers) {
      const key = JSON.stringify([p, e.source, e.reason, e.revision ?? '', e.message]);
      if (this.#seen.has(key)) {
        this.d.metrics.notifications.inc({ provider: p, result: 'deduplicated' });
        continue;
      }
      this.#seen.set(key, now);
      // Bounded whatever the flood: the oldest keys go first.
      if (this.#seen.size > MAX_SEEN) this.#seen.delete(this.#seen.keys().next().value as string);
      this.#boxes.get(p)?.push(e);
    }
  }
}
