import type { Logger } from 'pino';
import type { PolicyFilesDoc } from '../core/desired-index.js';
import { followFeed } from '../core/feed.js';
import { isObject } from '../core/object.js';
import type { GitSourceObject } from './gitsource/spec.js';
import type { KubeObjects } from './kube/objects.js';
import type { PolicyHub } from './policy/hub.js';
import type { ReconcilerRuntime } from './runtime/runtime.js';
import type { ReconcilerMetrics } from './metrics.js';
import { ShardFeed } from './runtime/shard-feed.js';
import { ShardMembers, type ShardOptions } from './runtime/shard-members.js';

/** The membership's options (the group: the leader Lease's name) and what shards compose. */
export interface ShardsOptions extends ShardOptions {
  readonly objects: KubeObjects;
  readonly runtime: () => ReconcilerRuntime | undefined;
  readonly hub: PolicyHub;
  /** Whether this replica leads now, and who does as far as it knows. */
  readonly leading: () => boolean;
  readonly leader: () => string | undefined;
  readonly stateToken: () => string | undefined;
  /** The ring changed: GitSources move. */
  readonly onChange: () => void;
  readonly metrics: ReconcilerMetrics;
  readonly logger: Logger;
}

/** What a replica runs and serves when reconciler replicas split GitSources. */
export interface Shards {
  readonly members: ShardMembers;
  readonly feed: ShardFeed;
  /** Whether this replica runs a GitSource: the leader one with a policy path, else its owner. */
  runs(name: string, obj: GitSourceObject): boolean;
  /** Pass an authentic push on to every other live replica (best effort, 10 s each). */
  forwardPush(headers: Record<string, string>, body: Buffer): void;
  start(): Promise<void>;
  stop(release: boolean): Promise<void>;
}

const hasPolicyPath = (obj: GitSourceObject): boolean =>
  isObject(obj.spec) && obj.spec.policyPath !== undefined;

/**
 * Shards over membership Leases. Policies have one author, the leader: it runs every GitSource
 * with a policy path and builds the bundle; the other replicas' gates follow the leader's
 * `/v1/policies` as a webhook does. The webhooks' feed stays the leader's, and it merges every
 * member's own index into it.
 */
export function shardsOf(o: ShardsOptions): Shards {
  const members = new ShardMembers(
    o.objects,
    { ...o, onRefused: (holders) => o.metrics.shardLeasesRefused.set(holders.length) },
    (live) => {
      o.metrics.shardMembers.set(live.length);
      o.onChange();
    },
    o.logger,
  );
  const feed = new ShardFeed({
    self: o.identity,
    members: () => members.members,
    own: (cluster) =>
      o.runtime()?.desiredIndex(cluster) ?? { version: 1, generation: '', sources: [] },
    token: o.stateToken,
    maxBytes: 512 * 1024 * 1024,
    logger: o.logger,
  });
  // The leader's address, while another replica leads.
  const leaderPolicies = (): string | undefined => {
    if (o.leading()) return undefined;
    const holder = o.leader();
    const at = members.members.find((m) => m.identity === holder)?.address;
    return at ? `${at}/v1/policies` : undefined;
  };
  let follower: { close(): void } | undefined;
  return {
    members,
    feed,
    runs: (name, obj) => (hasPolicyPath(obj) ? o.leading() : members.owns(name)),
    forwardPush(headers, body) {
      for (const m of members.members)
        if (m.identity !== o.identity && m.address)
          void fetch(`${m.address}/hooks/git`, {
            method: 'POST',
            headers,
            body: new Uint8Array(body),
            signal: AbortSignal.timeout(10_000),
          }).catch((err: unknown) =>
            o.logger.warn(
              { member: m.identity, reason: (err as Error).message },
              'push not passed on',
            ),
          );
    },
    async start() {
      await members.start();
      follower = followFeed<PolicyFilesDoc>({
        url: leaderPolicies,
        token: () => o.stateToken() ?? '',
        intervalMs: o.renewEveryMs,
        maxBytes: 64 * 1024 * 1024,
        onDocument: async (doc) => {
          const r = await o.hub.adopt(doc);
          if (!r.ok) throw new Error(`the leader's policies do not build here: ${r.error}`);
        },
        onError: () => undefined,
        logger: o.logger,
      });
    },
    async stop(release) {
      follower?.close();
      await members.stop(release);
    },
  };
}
