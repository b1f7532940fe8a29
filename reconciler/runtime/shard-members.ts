import type { Logger } from 'pino';
import { isObject } from '../../core/object.js';
import type { KubeObjects } from '../kube/objects.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { liveMembers, ownerOf, type Member } from './shard-ring.js';

/** The label every membership Lease of one reconciler deployment carries (value: the group). */
export const SHARD_LABEL = 'driftgate.io/shard-group';
/** The annotation with a member's status-server address, for the leader's shard reads. */
export const ADDRESS_ANNOTATION = 'driftgate.io/address';
const MANAGER = 'driftgate-shard';

const nameOf = (o: unknown): unknown =>
  isObject(o) && isObject(o.metadata) ? o.metadata.name : undefined;

export interface ShardOptions {
  readonly namespace: string;
  /** This replica (its pod name). */
  readonly identity: string;
  /** Replicas of one deployment share the group; its Leases are `<group>-shard-<identity>`. */
  readonly group: string;
  readonly leaseDurationMs: number;
  readonly renewEveryMs: number;
  /** This replica's status server as the leader reaches it. */
  readonly address?: string;
  /**
   * Pin members to pods: a Lease counts only when a Pod of this selector, named as its holder and
   * not being deleted, exists in the namespace and its IP is the Lease's address host. Without it, whoever
   * may write Leases here could add a member: take a share of the GitSources (which then run
   * nowhere) and be sent the state token.
   */
  readonly podSelector?: string;
  /** The Lease holders a pod selector refused, after each list. */
  readonly onRefused?: (holders: readonly string[]) => void;
}

/** A Lease's MicroTime: RFC 3339 with six fractional digits. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** A membership Lease as a Member; undefined when it is not one. Pure. */
export function memberOf(lease: unknown): Member | undefined {
  const spec = isObject(lease) && isObject(lease.spec) ? lease.spec : undefined;
  const meta = isObject(lease) && isObject(lease.metadata) ? lease.metadata : undefined;
  const identity = spec?.holderIdentity;
  const renewMs = typeof spec?.renewTime === 'string' ? Date.parse(spec.renewTime) : NaN;
  const seconds = spec?.leaseDurationSeconds;
  if (typeof identity !== 'string' || !identity || Number.isNaN(renewMs)) return undefined;
  if (typeof seconds !== 'number' || seconds <= 0) return undefined;
  const address = isObject(meta?.annotations) ? meta.annotations[ADDRESS_ANNOTATION] : undefined;
  // The leader sends the state token there: an http(s) origin, nothing else (no path, no data:).
  const origin =
    typeof address === 'string' && /^https?:\/\/[^/?#@\s]{1,253}$/.test(address)
      ? address
      : undefined;
  return {
    identity,
    renewMs,
    durationMs: seconds * 1000,
    ...(origin ? { address: origin } : {}),
  };
}

/** A Pod's name, IP and whether it is going away: what pinning reads. */
export interface PodFacts {
  readonly name: string;
  readonly ip?: string;
  readonly deleting: boolean;
}

/** A listed Pod's facts; undefined when it is not a Pod object. Pure. */
export function podFacts(pod: unknown): PodFacts | undefined {
  const meta = isObject(pod) && isObject(pod.metadata) ? pod.metadata : undefined;
  const status = isObject(pod) && isObject(pod.status) ? pod.status : undefined;
  if (typeof meta?.name !== 'string') return undefined;
  return {
    name: meta.name,
    ...(typeof status?.podIP === 'string' ? { ip: status.podIP } : {}),
    deleting: meta.deletionTimestamp !== undefined,
  };
}

/** An http(s) origin's host, IPv6 brackets taken off; undefined when it does not parse. Pure. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    // A Lease anyone may write: an address that does not parse must not stop the list.
    return undefined;
  }
}

/**
 * The members whose Lease is held by a pod of the deployment: a Pod of that name exists, is not
 * being deleted, and its IP is the host of the Lease's address (a member without an address, or
 * at another host, is not one). Pure.
 */
export function pinnedMembers(members: readonly Member[], pods: readonly PodFacts[]): Member[] {
  const byName = new Map(pods.map((p) => [p.name, p]));
  return members.filter((m) => {
    const pod = byName.get(m.identity);
    if (!pod || pod.deleting || !pod.ip || !m.address) return false;
    return hostOf(m.address) === pod.ip.toLowerCase();
  });
}

/**
 * Shard membership kept in Kubernetes Leases, one per replica, with no consensus of our own:
 * each replica renews its Lease, lists the group's, and owns the keys that rendezvous hashing
 * gives it among the live ones. A replica that stops renewing drops out when its Lease expires
 * (a timer waits for exactly that), so its keys move within one lease duration; one that cannot
 * renew for a lease duration owns nothing until it can again.
 */
export class ShardMembers {
  #members: Member[] = [];
  #live: string[] = [];
  #lastRenewMs = Number.NEGATIVE_INFINITY;
  #tick: TimerHandle | undefined;
  #expiry: TimerHandle | undefined;
  #stopped = false;
  /** The Lease holders refused at the last list (logged once per change). */
  #refused = '';

  constructor(
    private readonly objects: KubeObjects,
    private readonly o: ShardOptions,
    private readonly onChange: (live: readonly string[]) => void,
    private readonly logger: Logger,
    private readonly clock: Clock = realClock,
  ) {}

  get leaseName(): string {
    return `${this.o.group}-shard-${this.o.identity}`;
  }

  /** The live members' identities, sorted; empty while this replica is not a live member. */
  get live(): readonly string[] {
    return this.#live;
  }

  /** Every live member with its address. */
  get members(): readonly Member[] {
    return this.#members.filter((m) => this.#live.includes(m.identity));
  }

  /** Whether this replica owns `key` now. */
  owns(key: string): boolean {
    return ownerOf(key, this.#live) === this.o.identity;
  }

  /**
   * Renew and list at once, then every renewEveryMs. Resolves after the second round, when
   * replicas started together have all written their Leases: otherwise each would take every
   * key on its own first list, and build and drop thousands of sources a moment later.
   */
  async start(): Promise<void> {
    await this.#round();
    await new Promise<void>((r) => this.clock.setTimeout(r, this.o.renewEveryMs));
    await this.#refresh();
  }

  /** Stop renewing; with release, delete this replica's Lease so its keys move at once. */
  async stop(release = true): Promise<void> {
    this.#stopped = true;
    this.clock.clearTimeout(this.#tick);
    this.clock.clearTimeout(this.#expiry);
    if (release)
      await this.objects
        .delete({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          namespace: this.o.namespace,
          name: this.leaseName,
        })
        .catch(() => undefined);
  }

  async #round(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#renew();
      this.#lastRenewMs = this.clock.now();
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'shard lease not renewed');
    }
    await this.#refresh();
    if (!this.#stopped)
      this.#tick = this.clock.setTimeout(() => void this.#round(), this.o.renewEveryMs);
  }

  #renew(): Promise<unknown> {
    const { namespace, identity, group, address } = this.o;
    return this.objects.apply(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: this.leaseName,
          namespace,
          labels: { [SHARD_LABEL]: group },
          ...(address ? { annotations: { [ADDRESS_ANNOTATION]: address } } : {}),
        },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
          renewTime: microTime(this.clock.now()),
        },
      },
      { fieldManager: MANAGER },
    );
  }

  /** List the group's Leases and recompute who is live; wake again when the next one expires. */
  async #refresh(): Promise<void> {
    if (this.#stopped) return;
    try {
      const leases = await this.objects.list('coordination.k8s.io/v1', 'Lease', {
        namespace: this.o.namespace,
        labelSelector: `${SHARD_LABEL}=${this.o.group}`,
      });
      // One Lease per member, named for it: another name holding a member's identity is not one.
      const members = leases
        .map((l) => [l, memberOf(l)] as const)
        .filter(([l, m]) => m && nameOf(l) === `${this.o.group}-shard-${m.identity}`)
        .map(([, m]) => m as Member);
      this.#members = await this.#pinned(members);
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'shard leases not listed');
    }
    this.#evaluate();
  }

  /** With a pod selector, only the members pods of it hold; a failed Pod list throws. */
  async #pinned(members: Member[]): Promise<Member[]> {
    const selector = this.o.podSelector;
    if (selector === undefined) return members;
    const pods = await this.objects.list('v1', 'Pod', {
      namespace: this.o.namespace,
      labelSelector: selector,
    });
    const kept = pinnedMembers(
      members,
      pods.map(podFacts).filter((p): p is PodFacts => p !== undefined),
    );
    // Only a current Lease is someone's doing: a dead pod's expired Lease is not a member anyway.
    const now = this.clock.now();
    const refused = members
      .filter((m) => !kept.includes(m) && m.renewMs + m.durationMs > now)
      .map((m) => m.identity);
    if (refused.length > 0 && refused.join('\n') !== this.#refused)
      this.logger.warn(
        { leases: refused, podSelector: selector },
        'shard leases not held by a pod of this deployment: not members',
      );
    this.#refused = refused.join('\n');
    this.o.onRefused?.(refused);
    return kept;
  }

  #evaluate(): void {
    const now = this.clock.now();
    const { live, nextExpiryMs } = liveMembers(this.#members, now);
    // A replica that could not renew for a lease duration is out, whatever its list says.
    const selfOut = now - this.#lastRenewMs > this.o.leaseDurationMs;
    const ids = selfOut ? [] : live.map((m) => m.identity);
    if (!selfOut && !ids.includes(this.o.identity)) {
      ids.push(this.o.identity);
      ids.sort();
    }
    this.clock.clearTimeout(this.#expiry);
    if (nextExpiryMs !== undefined && !this.#stopped)
      this.#expiry = this.clock.setTimeout(
        () => void this.#refresh(),
        Math.max(0, nextExpiryMs - now) + 1,
      );
    if (ids.join('\n') === this.#live.join('\n')) return;
    this.logger.info({ members: ids }, 'shard members changed');
    this.#live = ids;
    this.onChange(ids);
  }
}
