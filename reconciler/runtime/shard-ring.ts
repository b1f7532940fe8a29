import { createHash } from 'node:crypto';

/** One reconciler replica as its membership Lease says. */
export interface Member {
  readonly identity: string;
  /** Epoch ms of the Lease's last renewal, as the member wrote it. */
  readonly renewMs: number;
  readonly durationMs: number;
  /** Where its status server answers the leader's shard reads (`https://ip:port`). */
  readonly address?: string;
}

const score = (member: string, key: string): bigint =>
  createHash('sha256').update(member).update('\n').update(key).digest().readBigUInt64BE(0);

/**
 * The member that owns `key` among `members`: rendezvous (highest random weight) hashing, so a
 * member joining or leaving moves only the keys it gains or held, and every replica that sees the
 * same members agrees without talking to the others. Undefined with no members. Pure.
 */
export function ownerOf(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const m of members) {
    const s = score(m, key);
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/**
 * The members whose Lease is current at `nowMs`, sorted by identity, and when the next of them
 * expires (undefined when none is live). A member's renewal is judged by the time it wrote, so a
 * dead replica is out one lease duration after its last renewal. Pure.
 */
export function liveMembers(
  members: readonly Member[],
  nowMs: number,
): { live: Member[]; nextExpiryMs: number | undefined } {
  const live = members
    .filter((m) => m.renewMs + m.durationMs > nowMs)
    .sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  const expiries = live.map((m) => m.renewMs + m.durationMs);
  return { live, nextExpiryMs: expiries.length > 0 ? Math.min(...expiries) : undefined };
}
