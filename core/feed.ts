import { backoffMs } from './backoff.js';
import type { Logger } from 'pino';

export interface FeedOptions<T> {
  /** Full URL of the document; undefined: nowhere to ask yet (asked again next interval). */
  readonly url: string | (() => string | undefined);
  /** The bearer token, read on every request (a rotated Secret applies at once). */
  readonly token: () => string;
  readonly intervalMs: number;
  /** A larger body is refused (the last document stays), before it is parsed. */
  readonly maxBytes: number;
  /** A new document (its ETag changed). Throwing counts as a failed fetch. */
  readonly onDocument: (doc: T) => void | Promise<void>;
  /** Every answer from the server, new or not modified. */
  readonly onContact?: () => void;
  readonly onError: (reason: string) => void;
  readonly logger: Logger;
}

/** The body as text, refused as soon as it is known to be over `max` bytes. */
export async function boundedText(res: Response, max: number): Promise<string> {
  const tooLarge = () => new Error(`the document is over the ${max}-byte limit (maxDocumentMiB)`);
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    // Leaving the loop by the throw cancels the rest of the body.
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Follow a JSON document the reconciler serves with an ETag: poll, take it when it changed,
 * keep the last one when the reconciler is away (backing off), never throw.
 */
export function followFeed<T>(o: FeedOptions<T>): { first: Promise<void>; close(): void } {
  let etag: string | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let firstDone: () => void = () => undefined;
  const first = new Promise<void>((r) => (firstDone = r));

  const poll = async (): Promise<void> => {
    const url = typeof o.url === 'string' ? o.url : o.url();
    if (url === undefined) return firstDone();
    try {
      const res = await fetch(url, {
        headers: {
          authorization: `Bearer ${o.token()}`,
          ...(etag ? { 'if-none-match': etag } : {}),
        },
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 304) {
        o.onContact?.();
      } else if (res.status === 404) {
        o.onContact?.();
        await res.body?.cancel();
      } else if (res.status === 503) {
        // A follower replica (leader election) or a leader still on its first sync: keep the
        // last document and ask again; the Service reaches the leader on another poll.
        await res.body?.cancel();
      } else if (!res.ok) {
        throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      } else {
        const doc = JSON.parse(await boundedText(res, o.maxBytes)) as T;
        await o.onDocument(doc);
        etag = res.headers.get('etag') ?? undefined;
        o.onContact?.();
      }
      failures = 0;
    } catch (err) {
      failures++;
      const reason = (err as Error).message;
      o.onError(reason);
      o.logger.warn(
        { url, reason, failures },
        'reconciler feed unavailable; keeping the last state',
      );
    } finally {
      firstDone();
    }
  };
  const loop = (): void => {
    if (closed) return;
    const wait = backoffMs(failures, o.intervalMs, 2, 30_000);
    timer = setTimeout(() => void poll().finally(loop), wait);
  };
  void poll().finally(loop);
  return {
    first,
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
