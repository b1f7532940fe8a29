// Every admission the webhook denies, as a core/v1 Event (reason AdmissionDenied) in the
// request's namespace, as Gatekeeper's admission events: `kubectl get events` shows it, and the
// reconciler's status page lists the ones a viewer's RBAC lets it list. Never in the request's
// path: queued, bounded (a burst of denials costs the apiserver at most PER_SECOND writes), the
// same denial said once a minute, dropped rather than waited for.
import type { Logger } from 'pino';
import { tokenBucket } from '../core/rate.js';
import { kubeJson, type KubeAccess } from './kube-access.js';
import type { AdmissionRequest } from './types.js';

export const DENIAL_REASON = 'AdmissionDenied';
const PER_SECOND = 5;
const BURST = 20;
const MAX_QUEUE = 64;
const SAME_MS = 60_000;
const MAX_MESSAGE = 1000;

export interface DenialEventsOptions {
  readonly access: KubeAccess;
  /** Where a cluster-scoped object's denial is recorded (driftgate's namespace). */
  readonly namespace: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** The Event for a denial of `request` with `message`. Pure. */
export function denialEvent(
  request: AdmissionRequest,
  message: string,
  namespace: string,
  at: Date,
): Record<string, unknown> {
  const ns = request.namespace || namespace;
  const meta = (request.object ?? request.oldObject)?.metadata as
    Record<string, unknown> | undefined;
  const name = request.name || String(meta?.name ?? meta?.generateName ?? '(unnamed)');
  const { group, version, kind } = request.kind;
  const user = request.userInfo.username ?? 'unknown user';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: 'driftgate-denied-', namespace: ns },
    involvedObject: {
      apiVersion: group ? `${group}/${version}` : version,
      kind,
      name,
      ...(request.namespace ? { namespace: request.namespace } : {}),
    },
    type: 'Warning',
    reason: DENIAL_REASON,
    message: `${user}: ${request.operation} denied: ${message}`.slice(0, MAX_MESSAGE),
    firstTimestamp: at.toISOString(),
    lastTimestamp: at.toISOString(),
    count: 1,
    source: { component: 'driftgate-webhook' },
    reportingComponent: 'driftgate-webhook',
    reportingInstance: 'driftgate-webhook',
  };
}

/** Records denials as Events off the request path (see the file's head). */
export class DenialEvents {
  readonly #queue: Record<string, unknown>[] = [];
  readonly #seen = new Map<string, number>();
  readonly #take: () => boolean;
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(private readonly o: DenialEventsOptions) {
    this.#now = o.now ?? Date.now;
    this.#take = tokenBucket(PER_SECOND, BURST, this.#now);
  }

  /** A denial of `request` (not a dry run) with `message`: queued, or dropped past the bounds. */
  denied(request: AdmissionRequest, message: string): void {
    if (request.dryRun) return;
    const now = this.#now();
    // Bounded as the Event's message is: 10,000 keys stay a few MiB at most.
    const key = `${request.namespace ?? ''}/${request.kind.kind}/${request.name ?? ''}/${message.slice(0, MAX_MESSAGE)}`;
    const last = this.#seen.get(key);
    if (last !== undefined && now - last < SAME_MS) return;
    if (this.#seen.size > 10_000) this.#seen.clear();
    this.#seen.set(key, now);
    if (this.#queue.length >= MAX_QUEUE) return;
    this.#queue.push(denialEvent(request, message, this.o.namespace, new Date(now)));
    this.#timer ??= setTimeout(() => this.#drain(), 0);
  }

  #drain(): void {
    this.#timer = undefined;
    while (this.#queue.length > 0 && this.#take()) {
      const ev = this.#queue.shift() as Record<string, unknown>;
      const ns = (ev.metadata as { namespace: string }).namespace;
      kubeJson(this.o.access, `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, {
        body: ev,
        timeoutMs: 5000,
        maxBytes: 64 * 1024,
      }).catch((err: unknown) =>
        this.o.logger.warn({ reason: (err as Error).message }, 'denial event not recorded'),
      );
    }
    if (this.#queue.length > 0) this.#timer = setTimeout(() => this.#drain(), 1000 / PER_SECOND);
  }

  /** Stop sending what is still queued. */
  close(): void {
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}
