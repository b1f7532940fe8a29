// What each Git host's commit status API is sent (checked against their published request
// schemas: GitHub's and Gitea's `state`/`context`/`description`, GitLab's `state`/`name` with its
// own state names), and the rate limit spacing requests with a clock of the test's own.
import t from 'tap';
import { pino } from 'pino';
import { ReconcilerMetrics } from '../../../reconciler/metrics.js';
import { notificationsConfig } from '../../../reconciler/notify/config.js';
import { Notifier } from '../../../reconciler/notify/notifier.js';
import {
  commitStatusRequest,
  repositoryPath,
  type NotifyEvent,
} from '../../../reconciler/notify/payloads.js';
import { waitFor } from '../../support/processes.js';

const sha = 'b'.repeat(40);
const event = (over: Partial<NotifyEvent> = {}): NotifyEvent => ({
  source: 'team-a.shop',
  reason: 'RevisionApplied',
  type: 'Normal',
  message: `source team-a.shop: applied ${sha.slice(0, 12)} signed by ssh:sam@example.com`,
  revision: sha,
  repoURL: 'https://git.example/team-a/shop.git',
  time: '2026-12-07T10:00:00.000Z',
  ...over,
});

t.test('GitHub: /repos/{owner}/{repo}/statuses/{sha}, a bearer token', async (t) => {
  const r = commitStatusRequest('github', undefined, event(), 'ghp_t0ken');
  t.equal(r?.url, `https://api.github.com/repos/team-a/shop/statuses/${sha}`);
  t.match(r?.headers, { authorization: 'Bearer ghp_t0ken', accept: 'application/vnd.github+json' });
  t.same(JSON.parse(r?.body ?? ''), {
    state: 'success',
    context: 'driftgate/team-a.shop',
    description: event().message,
  });
  const long = commitStatusRequest(
    'github',
    'https://ghe.example/api/v3/',
    event({ reason: 'SyncFailed', message: 'x'.repeat(500) }),
    't',
  );
  t.equal(long?.url, `https://ghe.example/api/v3/repos/team-a/shop/statuses/${sha}`);
  const body = JSON.parse(long?.body ?? '') as { state: string; description: string };
  t.equal(body.state, 'failure');
  t.equal(body.description.length, 140, "GitHub's limit");
});

t.test('GitLab: /api/v4/projects/{path}/statuses/{sha}, its own state names', async (t) => {
  const e = event({
    reason: 'CommitRefused',
    repoURL: 'https://gitlab.example/group/sub/shop.git',
  });
  const r = commitStatusRequest('gitlab', 'https://gitlab.example', e, 'glpat');
  t.equal(r?.url, `https://gitlab.example/api/v4/projects/group%2Fsub%2Fshop/statuses/${sha}`);
  t.same(r?.headers['private-token'], 'glpat');
  t.same(JSON.parse(r?.body ?? ''), {
    state: 'failed',
    name: 'driftgate/team-a.shop',
    description: e.message,
  });
});

t.test(
  "Gitea: /api/v1/repos/… on the configured API base only, never the repository's host; policies under their own context",
  async (t) => {
    t.equal(
      commitStatusRequest('gitea', undefined, event({ reason: 'PolicyRefused' }), 'tok'),
      undefined,
      'no API base: the token goes nowhere',
    );
    const r = commitStatusRequest(
      'gitea',
      'https://git.example/',
      event({ reason: 'PolicyRefused' }),
      'tok',
    );
    t.equal(r?.url, `https://git.example/api/v1/repos/team-a/shop/statuses/${sha}`);
    t.equal(r?.headers.authorization, 'token tok');
    t.match(JSON.parse(r?.body ?? ''), {
      state: 'failure',
      context: 'driftgate/team-a.shop/policies',
    });
  },
);

t.test('no status for events about no commit, or without a commit id', async (t) => {
  for (const e of [
    event({ reason: 'DriftFight' }),
    event({ reason: 'BreakGlassUsed' }),
    event({ revision: 'main' }),
    event({ repoURL: 'https://git.example/only-one-segment.git' }),
  ])
    t.equal(
      commitStatusRequest('github', undefined, e, 't'),
      undefined,
      `${e.reason} ${e.repoURL}`,
    );
  t.equal(repositoryPath('not a url'), undefined);
  t.equal(repositoryPath('https://x.example/a/b/'), 'a/b');
});

t.test('the rate limit spaces requests evenly over the minute', async (t) => {
  let now = 0;
  const slept: number[] = [];
  const sent: number[] = [];
  const problems: string[] = [];
  const cfg = notificationsConfig(
    {
      queueSize: 100,
      dedupWindow: '5m',
      providers: [
        { name: 'ops', type: 'webhook', address: 'http://unused', timeout: '5s', perMinute: 30 },
      ],
      alerts: [{ providers: ['ops'], events: ['SyncFailed'], sources: ['*'] }],
    } as never,
    problems,
  );
  t.same(problems, []);
  const n = new Notifier(cfg, {
    metrics: new ReconcilerMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    send: async () => {
      sent.push(now);
      return { status: 204 };
    },
  });
  for (let i = 0; i < 3; i++) n.notify(event({ reason: 'SyncFailed', message: `m${i}` }));
  await waitFor('three sent', async () => sent.length === 3, 10_000);
  t.same(sent, [0, 2000, 4000], '30 a minute: one every 2 s');
  t.same(slept, [2000, 2000]);
});
