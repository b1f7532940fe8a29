import { SOURCE_LABEL } from '../../core/labels.js';
import { isObject } from '../../core/object.js';
import type { OpenWatch, WatchedObject } from '../runtime/watches.js';
import type { KubeObjects } from './objects.js';

export interface KubeWatchOptions {
  /** Only objects with this label (key, or key=value). @default SOURCE_LABEL */
  readonly labelSelector?: string;
  /** The server ends a watch after this many seconds (plus up to half again, spread). @default 300 */
  readonly timeoutSeconds?: number;
  /** A watch silent this long past its timeout is taken as dead. @default 60_000 */
  readonly idleGraceMs?: number;
  /** Resumes tried after an error before the watch is given up (the caller resyncs). @default 3 */
  readonly resumeTries?: number;
  readonly random?: () => number;
}

const rvOf = (o: unknown): string | undefined => {
  const meta = isObject(o) && isObject(o.metadata) ? o.metadata : undefined;
  return typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : undefined;
};

/**
 * Watches as client-go's reflector keeps them: one cheap LIST (limit 1) for a starting
 * resourceVersion, then a watch with bookmarks that, when the server ends it or a connection
 * drops, resumes from the last resourceVersion seen, so nothing is missed and nothing is resynced.
 * Only when the apiserver no longer has that version (410 Gone), or resuming keeps failing,
 * does the watch end (`onEnd`): the caller then resyncs what it may have missed.
 */
export function kubeWatch(objects: KubeObjects, o: KubeWatchOptions = {}): OpenWatch {
  const selector = o.labelSelector ?? SOURCE_LABEL;
  const random = o.random ?? Math.random;
  return async (apiVersion, kind, onEvent, onEnd, namespace) => {
    const path = await objects.collection(apiVersion, kind, namespace);
    const start = await objects.listPage(apiVersion, kind, {
      labelSelector: selector,
      limit: 1,
      ...(namespace ? { namespace } : {}),
    });
    let rv = start.resourceVersion;
    let stopped = false;
    let failures = 0;
    let current: { abort(): void } | undefined;
    let idle: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (stopped) return;
      stopped = true;
      clearTimeout(idle);
      clearTimeout(retry);
      onEnd();
    };
    const open = (): void => {
      if (stopped) return;
      const timeoutSeconds = Math.round((o.timeoutSeconds ?? 300) * (1 + random() / 2));
      const deadline = timeoutSeconds * 1000 + (o.idleGraceMs ?? 60_000);
      let gone = false;
      const alive = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => current?.abort(), deadline);
        idle.unref();
      };
      alive();
      current = objects.http.stream(
        {
          method: 'GET',
          path,
          // One event is one object: etcd holds at most 1.5 MiB, so a longer line is refused.
          maxBytes: 16 * 1024 * 1024,
          query: {
            watch: 1,
            labelSelector: selector,
            resourceVersion: rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
          },
        },
        (ev) => {
          alive();
          failures = 0;
          const type = ev.type;
          if (type === 'ERROR') {
            gone = true;
            return;
          }
          rv = rvOf(ev.object) ?? rv;
          if (type === 'BOOKMARK' || !isObject(ev.object) || typeof type !== 'string') return;
          onEvent(type, ev.object as WatchedObject);
        },
        (err) => {
          clearTimeout(idle);
          if (stopped) return;
          // 410 Gone (the version is compacted away): a LIST is needed, which is a resync.
          if (gone || (err && /HTTP 410/.test(err.message))) return finish();
          if (!err) return open();
          if (++failures > (o.resumeTries ?? 3)) return finish();
          retry = setTimeout(open, 500 * 2 ** failures);
          retry.unref();
        },
      );
    };
    open();
    return {
      abort() {
        stopped = true;
        clearTimeout(idle);
        clearTimeout(retry);
        current?.abort();
      },
    };
  };
}
