import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DesiredIndexDoc, IndexSource } from '../../core/desired-index.js';
import { boundedText } from '../../core/feed.js';
import type { Member } from './shard-ring.js';

export interface ShardFeedOptions {
  readonly self: string;
  /** The live members, with their addresses. */
  readonly members: () => readonly Member[];
  /** This replica's own index. */
  readonly own: (cluster?: string) => DesiredIndexDoc;
  /** The state feed's bearer token (every replica mounts the same). */
  readonly token: () => string | undefined;
  /** A member's document over this size is refused (its last one stays). */
  readonly maxBytes: number;
  /** @default 5000 */
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/**
 * Several shards' indexes as one: every source once (from the first document that has its
 * entries, so a source in handover is never dropped), pending only where no document has it.
 * Pure.
 */
export function mergeIndexes(docs: readonly DesiredIndexDoc[]): DesiredIndexDoc {
  const sources = new Map<string, IndexSource>();
  for (const d of docs) for (const s of d.sources) if (!sources.has(s.name)) sources.set(s.name, s);
  const pending = [...new Set(docs.flatMap((d) => d.pending ?? []))]
    .filter((n) => !sources.has(n))
    .sort();
  const generation = createHash('sha256')
    .update(docs.map((d) => d.generation).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return {
    version: 1,
    generation,
    sources: [...sources.values()],
    ...(pending.length > 0 ? { pending } : {}),
  };
}

type Cached = { etag?: string; doc: DesiredIndexDoc };

/**
 * The leader's feed over shards: its own index and each live member's (`/v1/shard/desired`,
 * asked with the ETag it last gave, so an unchanged shard costs a 304). A member that does not
 * answer keeps its last document until it leaves the ring, when its sources' new owner serves
 * them (pending until synced: a webhook keeps what it had).
 */
export class ShardFeed {
  readonly #cache = new Map<string, Cached>();

  constructor(private readonly o: ShardFeedOptions) {}

  async desired(cluster?: string): Promise<DesiredIndexDoc> {
    const others = this.o.members().filter((m) => m.identity !== this.o.self && m.address);
    const live = new Set(others.map((m) => `${m.identity}|${cluster ?? ''}`));
    for (const k of this.#cache.keys()) if (!live.has(k)) this.#cache.delete(k);
    const theirs = await Promise.all(others.map((m) => this.#of(m, cluster)));
    return mergeIndexes([
      this.o.own(cluster),
      ...theirs.filter((d): d is DesiredIndexDoc => d !== undefined),
    ]);
  }

  async #of(m: Member, cluster: string | undefined): Promise<DesiredIndexDoc | undefined> {
    const key = `${m.identity}|${cluster ?? ''}`;
    const cached = this.#cache.get(key);
    try {
      const q = cluster ? `?cluster=${encodeURIComponent(cluster)}` : '';
      const res = await fetch(`${m.address}/v1/shard/desired${q}`, {
        headers: {
          authorization: `Bearer ${this.o.token() ?? ''}`,
          ...(cached?.etag ? { 'if-none-match': cached.etag } : {}),
        },
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
      });
      if (res.status === 304) return cached?.doc;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = JSON.parse(await boundedText(res, this.o.maxBytes)) as DesiredIndexDoc;
      if (doc.version !== 1 || !Array.isArray(doc.sources))
        throw new Error('not a desired-state index');
      const etag = res.headers.get('etag') ?? undefined;
      this.#cache.set(key, { ...(etag ? { etag } : {}), doc });
      return doc;
    } catch (err) {
      this.o.logger.warn(
        { member: m.identity, reason: (err as Error).message },
        'shard index not read; keeping its last',
      );
      return cached?.doc;
    }
  }
}
