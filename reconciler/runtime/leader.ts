import {
  ApiException,
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This replica's identity (pod name). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewEveryMs: number;
}

/** What a candidate should do, given the lease it read. Pure. */
export function leaseDecision(
  lease: { holder?: string; renewTime?: string } | undefined,
  me: string,
  observed: { renewTime?: string; atMs: number } | undefined,
  nowMs: number,
  durationMs: number,
): 'create' | 'renew' | 'take-over' | 'follow' {
  if (!lease) return 'create';
  if (lease.holder === me) return 'renew';
  if (!lease.holder) return 'take-over';
  // Expiry is judged by when *we* last saw the renew time change, as client-go does: clocks of
  // different nodes are never compared.
  if (observed && observed.renewTime === lease.renewTime && nowMs - observed.atMs > durationMs)
    return 'take-over';
  return 'follow';
}

/**
 * Leader election on a coordination.k8s.io Lease, so two reconciler replicas are safe: only the
 * leader reconciles. Losing the lease (a renew that fails past the lease duration) calls
 * onStoppedLeading; the process should then stop reconciling at once.
 */
export class LeaderElector {
  #api: CoordinationV1Api;
  #leading = false;
  #observed: { renewTime?: string; atMs: number } | undefined;
  #lastRenewMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #holder: string | undefined;

  constructor(
    kc: KubeConfig,
    private readonly o: LeaderElectionOptions,
    private readonly cb: { onStartedLeading(): void; onStoppedLeading(): void },
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#api = kc.makeApiClient(CoordinationV1Api);
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Who held the Lease when it was last read (this replica, once it leads). */
  get holder(): string | undefined {
    return this.#leading ? this.o.identity : this.#holder;
  }

  start(): void {
    void this.#tick();
  }

  /** Stop campaigning; a leader releases the lease so a follower takes over at once. */
  async stop(release = true): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (release && this.#leading) {
      try {
        const lease = await this.#api.readNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
        });
        if (lease.spec?.holderIdentity === this.o.identity) {
          lease.spec.holderIdentity = undefined;
          await this.#api.replaceNamespacedLease({
            name: this.o.name,
            namespace: this.o.namespace,
            body: lease,
          });
        }
      } catch {
        // best effort: the lease expires anyway
      }
    }
    this.#leading = false;
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#campaign();
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'leader election: lease update failed');
      if (this.#leading && this.now() - this.#lastRenewMs > this.o.leaseDurationMs) this.#lose();
    }
    if (!this.#stopped)
      this.#timer = setTimeout(
        () => void this.#tick(),
        this.#leading ? this.o.renewEveryMs : this.o.renewEveryMs / 2,
      );
  }

  async #campaign(): Promise<void> {
    const { name, namespace, identity } = this.o;
    let lease: V1Lease | undefined;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    const spec = lease?.spec;
    this.#holder = spec?.holderIdentity ?? undefined;
    const renewTime = spec?.renewTime
      ? new Date(spec.renewTime as unknown as string).toISOString()
      : undefined;
    if (!this.#observed || this.#observed.renewTime !== renewTime)
      this.#observed = { ...(renewTime ? { renewTime } : {}), atMs: this.now() };
    const decision = leaseDecision(
      lease
        ? {
            ...(spec?.holderIdentity ? { holder: spec.holderIdentity } : {}),
            ...(renewTime ? { renewTime } : {}),
          }
        : undefined,
      identity,
      this.#observed,
      this.now(),
      this.o.leaseDurationMs,
    );
    if (decision === 'follow') {
      if (this.#leading) this.#lose();
      return;
    }
    const now = new V1MicroTime(this.now());
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace,
        ...(lease?.metadata?.resourceVersion
          ? { resourceVersion: lease.metadata.resourceVersion }
          : {}),
      },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
        renewTime: now,
        acquireTime:
          decision === 'renew' && spec?.acquireTime ? new V1MicroTime(spec.acquireTime) : now,
        leaseTransitions: (spec?.leaseTransitions ?? 0) + (decision === 'take-over' ? 1 : 0),
      },
    };
    if (decision === 'create') await this.#api.createNamespacedLease({ namespace, body });
    else await this.#api.replaceNamespacedLease({ name, namespace, body });
    this.#lastRenewMs = this.now();
    if (!this.#leading) {
      this.#leading = true;
      this.logger.info({ identity, lease: `${namespace}/${name}` }, 'leader election: leading');
      this.cb.onStartedLeading();
    }
  }

  #lose(): void {
    this.#leading = false;
    this.logger.error({ identity: this.o.identity }, 'leader election: lost the lease; stopping');
    this.cb.onStoppedLeading();
  }
}
