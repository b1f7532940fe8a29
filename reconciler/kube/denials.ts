// The webhook's AdmissionDenied Events (webhook/denial-events.ts) across the cluster, newest
// first, for the status page: one LIST (field selector reason=AdmissionDenied, at most 100) at
// most once a second, however many pages are open.
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
const LIMIT = 100;

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

/** `list()`: the latest denials (cached a second); an API error gives the last list. */
export function denialsFeed(http: KubeHttp, now: () => number = Date.now) {
  let last: Denial[] = [];
  let at = -Infinity;
  let pending: Promise<Denial[]> | undefined;
  return {
    list(): Promise<Denial[]> {
      if (now() - at < REFRESH_MS) return Promise.resolve(last);
      pending ??= http
        .json({
          method: 'GET',
          path: '/api/v1/events',
          query: { fieldSelector: 'reason=AdmissionDenied', limit: LIMIT },
          timeoutMs: 10_000,
          maxBytes: 4 * 1024 * 1024,
        })
        .then((doc) => {
          const items = Array.isArray(doc.items) ? doc.items : [];
          last = items
            .map(denialOf)
            .filter((d): d is Denial => d !== undefined)
            .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
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
