// Commits made one after another while something else happens (a rollout), and how long each
// took to be applied: the time from its push to the first moment the GitSource's
// lastAppliedRevision was it or a later commit. "No sync gap longer than one interval" is the
// largest of these against the source's interval.

export interface SyncLag {
  readonly commits: number;
  readonly applied: number;
  readonly maxLagMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function syncLag(o: {
  /** Push commit number i; resolves its SHA once it is in the Git server. */
  readonly commit: (i: number) => Promise<string>;
  /** The GitSource's status.lastAppliedRevision now. */
  readonly applied: () => Promise<string>;
  readonly everyMs: number;
}) {
  const commits: { sha: string; pushedAt: number; appliedAt?: number }[] = [];
  let running = true;
  const committer = (async () => {
    for (let i = 0; running; i++) {
      const sha = await o.commit(i);
      commits.push({ sha, pushedAt: Date.now() });
      await sleep(o.everyMs);
    }
  })();
  const look = async () => {
    const rev = await o.applied().catch(() => '');
    const at = Date.now();
    const idx = commits.findIndex((c) => c.sha === rev);
    for (let j = 0; j <= idx; j++) (commits[j] as { appliedAt?: number }).appliedAt ??= at;
  };
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      await look();
      await sleep(200);
    }
  })();
  return {
    /** Stop committing; wait (up to `settleMs`) for the last commit to be applied; the figures. */
    async stop(settleMs: number): Promise<SyncLag> {
      running = false;
      await committer;
      const deadline = Date.now() + settleMs;
      while (Date.now() < deadline && commits.at(-1)?.appliedAt === undefined) await sleep(200);
      watching = false;
      await watcher;
      const lags = commits.map((c) => (c.appliedAt ?? Date.now()) - c.pushedAt);
      return {
        commits: commits.length,
        applied: commits.filter((c) => c.appliedAt !== undefined).length,
        maxLagMs: Math.max(0, ...lags),
      };
    },
  };
}
