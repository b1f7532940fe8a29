// The webhook's AdmissionDenied Events (webhook/denial-events.ts) across the cluster, the newest
// 100 first, for the status page: LISTs by field selector reason=AdmissionDenied (pages of 500,
// at most four) at most once a second, however many pages are open.
import { isObject } from '../../core/object.js';
import type { KubeHttp } from './http.js';

/** One denied admission, as its Event tells it. */
export interface Denial {
  readonly namespace: string;
  readonly object: string;
  readonly message: string;
  readonly at: string;
}

const REFRESH_MS = 1000;
/** Denials kept, newest first. */
const KEEP = 100;
/** Events read per page, and pages at most: the apiserver lists by name, not by time. */
const PAGE = 500;
const PAGES = 4;

/** A denial of an Event's JSON, or undefined. Pure. */
export function denialOf(ev: unknown): Denial | undefined {
  if (!isObject(ev) || !isObject(ev.metadata) || !isObject(ev.involvedObject)) return undefined;
  const io = ev.involvedObject;
  const at = String(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp ?? '');
  return {
    namespace: String(ev.metadata.namespace ?? ''),
    object: `${String(io.kind ?? '')} ${io.namespace ? `${String(io.namespace)}/` : ''}${String(io.name ?? '')}`,
    message: String(ev.message ?? '').slice(0, 1000),
    at,
  };
}

/** Every AdmissionDenied Event, up to PAGES pages (Events live an hour: the apiserver's TTL). */
async function readAll(http: KubeHttp): Promise<unknown[]> {
  const items: unknown[] = [];
  let next: string | undefined;
  for (let page = 0; page < PAGES; page++) {
    const doc = await http.json({
      method: 'GET',
      path: '/api/v1/events',
      query: { fieldSelector: 'reason=AdmissionDenied', limit: PAGE, continue: next },
      timeoutMs: 10_000,
      maxBytes: 8 * 1024 * 1024,
    });
    if (Array.isArray(doc.items)) items.push(...(doc.items as unknown[]));
    const meta = doc.metadata as { continue?: unknown } | undefined;
    next = typeof meta?.continue === 'string' && meta.continue ? meta.continue : undefined;
    if (!next) break;
  }
  return items;
}

/** `list()`: the latest denials (cached a second); an API error gives the last list. */
export function denialsFeed(http: KubeHttp, now: () => number = Date.now) {
  let last: Denial[] = [];
  let at = -Infinity;
  let pending: Promise<Denial[]> | undefined;
  return {
    list(): Promise<Denial[]> {
      if (now() - at < REFRESH_MS) return Promise.resolve(last);
      pending ??= readAll(http)
        .then((items) => {
          last = items
            .map(denialOf)
            .filter((d): d is Denial => d !== undefined)
            .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
            .slice(0, KEEP);
          return last;
        })
        .catch(() => last)
        .finally(() => {
          at = now();
          pending = undefined;
        });
      return pending;
    },
  };
}
