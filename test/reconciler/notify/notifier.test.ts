// The notifier against real local HTTP endpoints (this machine's stand-ins for a team's webhook
// receiver): HMAC-signed JSON, Slack's payload, retries on 5xx, no retry on 4xx, a hanging
// endpoint that delays only itself, a full queue that drops and counts, deduplication, and no
// URL or token in any log line. Waits between retries are skipped (an injected sleep).
import t, { type Test } from 'tap';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ReconcilerMetrics } from '../../../reconciler/metrics.js';
import { Notifier } from '../../../reconciler/notify/notifier.js';
import { notificationsConfig } from '../../../reconciler/notify/config.js';
import type { NotifyEvent } from '../../../reconciler/notify/payloads.js';
import { listen, closeServer } from '../../../core/http.js';
import { waitFor } from '../../support/processes.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An endpoint answering each request with the next status of `answers` (the last repeats). */
async function endpoint(t: Test, answers: (number | 'hang')[]) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)];
      if (a === 'hang') return;
      res.writeHead(a as number).end();
    });
  });
  const port = await listen(server, '127.0.0.1', 0);
  t.teardown(() => closeServer(server));
  return { seen, url: `http://127.0.0.1:${port}` };
}

const dir = mkdtempSync(join(tmpdir(), 'dg-notify-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), `${text}\n`);
  return join(dir, name);
};

function setup(raw: Record<string, unknown>) {
  const problems: string[] = [];
  const cfg = notificationsConfig(
    { queueSize: 100, dedupWindow: '5m', alerts: [], providers: [], ...raw } as never,
    problems,
  );
  const metrics = new ReconcilerMetrics({ defaultMetrics: false });
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const n = new Notifier(cfg, { metrics, logger, sleep: async () => {} });
  const count = async (provider: string, result: string) =>
    (await metrics.notifications.get()).values.find(
      (v) => v.labels.provider === provider && v.labels.result === result,
    )?.value;
  return { n, problems, count, lines };
}

const event = (over: Partial<NotifyEvent> = {}): NotifyEvent => ({
  source: 'team-a.shop',
  reason: 'SyncFailed',
  type: 'Warning',
  message: 'source team-a.shop: apply ConfigMap shop/a: HTTP 422',
  revision: 'a'.repeat(40),
  repoURL: 'https://git.example/team-a/shop.git',
  codes: ['RECONCILE_OBJECT_INVALID'],
  time: '2026-12-07T10:00:00.000Z',
  ...over,
});

t.test('a generic webhook: the event as JSON, HMAC-signed; retried past 5xx', async (t) => {
  const ep = await endpoint(t, [503, 500, 204]);
  const { n, count, lines } = setup({
    providers: [
      {
        name: 'ops',
        type: 'webhook',
        addressFile: file('ops-url', `${ep.url}/hooks/s3cr3t-path`),
        secretFile: file('ops-key', 'hmac-k3y'),
        timeout: '5s',
        perMinute: 6000,
      },
    ],
    alerts: [{ providers: ['ops'], events: ['SyncFailed'], sources: ['team-a.*'] }],
  });
  n.notify(event());
  n.notify(event({ reason: 'RevisionApplied' }));
  n.notify(event({ source: 'team-b.web' }));
  await waitFor('sent', async () => (await count('ops', 'sent')) === 1, 10_000);
  t.equal(ep.seen.length, 3, 'two answers of 5xx, then delivered');
  const last = ep.seen[2] as Seen;
  t.equal(last.path, '/hooks/s3cr3t-path');
  t.equal(last.headers['x-driftgate-event'], 'SyncFailed');
  const sig = `sha256=${createHmac('sha256', 'hmac-k3y').update(last.body).digest('hex')}`;
  t.equal(last.headers['x-driftgate-signature'], sig, 'the receiver can check the signature');
  t.same(JSON.parse(last.body), { kind: 'driftgate.io/event', version: 1, ...event() });
  t.equal(await count('ops', 'failed'), 0);
  const log = lines.join('');
  t.match(log, 'notification not delivered');
  t.notMatch(log, /s3cr3t|hmac-k3y|127\.0\.0\.1/, 'no URL, path or key in the logs');
});

t.test('4xx is not retried; Slack gets its own payload', async (t) => {
  const bad = await endpoint(t, [404]);
  const slack = await endpoint(t, [200]);
  const { n, count } = setup({
    providers: [
      { name: 'gone', type: 'webhook', address: bad.url, timeout: '5s', perMinute: 6000 },
      { name: 'chat', type: 'slack', address: slack.url, timeout: '5s', perMinute: 6000 },
    ],
    alerts: [{ providers: ['gone', 'chat'], events: ['SyncFailed'], sources: ['*'] }],
  });
  n.notify(event());
  await waitFor(
    'both done',
    async () => (await count('gone', 'failed')) === 1 && (await count('chat', 'sent')) === 1,
    10_000,
  );
  t.equal(bad.seen.length, 1, 'one try');
  t.same(JSON.parse((slack.seen[0] as Seen).body), {
    text: 'driftgate: *SyncFailed* in source `team-a.shop` at `aaaaaaaaaaaa`',
    attachments: [
      {
        color: 'danger',
        title: 'SyncFailed',
        text: event().message,
        fields: [
          { title: 'Repository', value: 'https://git.example/team-a/shop.git', short: false },
          { title: 'Codes', value: 'RECONCILE_OBJECT_INVALID', short: false },
        ],
        ts: 1796637600,
      },
    ],
  });
});

t.test(
  'a hanging endpoint delays only itself; its queue is bounded; repeats are sent once',
  async (t) => {
    const hang = await endpoint(t, ['hang']);
    const ok = await endpoint(t, [200]);
    const { n, count } = setup({
      queueSize: 3,
      providers: [
        { name: 'slow', type: 'webhook', address: hang.url, timeout: '1s', perMinute: 6000 },
        { name: 'fast', type: 'webhook', address: ok.url, timeout: '5s', perMinute: 6000 },
      ],
      alerts: [{ providers: ['slow', 'fast'], events: ['DriftFight'], sources: ['*'] }],
    });
    const fight = (i: number) => event({ reason: 'DriftFight', message: `fight ${i}` });
    const t0 = performance.now();
    n.notify(fight(0));
    t.ok(performance.now() - t0 < 50, 'notify returns at once');
    await waitFor(
      'fast sent while slow hangs',
      async () => (await count('fast', 'sent')) === 1,
      10_000,
    );
    t.equal(await count('slow', 'failed'), 0, 'slow has not given up on its first yet');
    for (let i = 1; i <= 4; i++) n.notify(fight(i));
    n.notify(fight(1));
    await waitFor('fast sent all five', async () => (await count('fast', 'sent')) === 5, 10_000);
    t.equal(await count('fast', 'dropped'), 0);
    t.equal(await count('slow', 'dropped'), 1, 'one in flight, three queued, one dropped');
    t.equal(await count('fast', 'deduplicated'), 1, 'the repeat within the window');
    await waitFor(
      'slow gave up on four',
      async () => (await count('slow', 'failed')) === 4,
      90_000,
    );
    t.equal(hang.seen.length, 16, 'four tries each');
  },
);

t.test('config: what each provider needs, alerts name providers that exist', async (t) => {
  const { problems } = setup({
    providers: [
      { name: 'a', type: 'webhook', timeout: '5s', perMinute: 60 },
      {
        name: 'a',
        type: 'slack',
        address: 'https://x',
        secretFile: '/k',
        timeout: '5s',
        perMinute: 60,
      },
      { name: 'gh', type: 'github', timeout: '5s', perMinute: 60 },
      { name: 'tea', type: 'gitea', tokenFile: '/t', timeout: '5s', perMinute: 60 },
      {
        name: 'hook',
        type: 'webhook',
        address: 'https://x',
        repositories: ['*'],
        timeout: '5s',
        perMinute: 60,
      },
    ],
    alerts: [{ providers: ['a', 'nope'], events: ['SyncFailed'], sources: ['*'] }],
  });
  t.same(problems, [
    'notifications.providers[0] (a): a webhook provider needs address or addressFile',
    'notifications.providers[1] (a): another provider has this name',
    'notifications.providers[1] (a): secretFile signs webhook requests only',
    'notifications.providers[2] (gh): commit status on github needs tokenFile',
    'notifications.providers[3] (tea): commit status on gitea needs address (its API base, and the only host its token goes to)',
    'notifications.providers[4] (hook): repositories limits commit status providers only',
    'notifications.alerts[0]: no provider named nope',
  ]);
});

t.test(
  "a commit status for a tenant's GitSource only where the platform allows its repository",
  async (t) => {
    const api = await endpoint(t, [201]);
    const commit = (name: string, repositories: string[]) => ({
      name,
      type: 'gitea',
      address: api.url,
      tokenFile: file(`${name}-token`, 'platform-token'),
      repositories,
      timeout: '5s',
      perMinute: 6000,
    });
    const { n, count } = setup({
      providers: [commit('closed', []), commit('open', ['git.example/team-a/*'])],
      alerts: [{ providers: ['closed', 'open'], events: ['SyncFailed'], sources: ['*'] }],
    });
    // A tenant's GitSource, and a file source of the platform's, both on git.example.
    n.notify(event());
    n.notify(event({ source: 'platform', repoURL: 'https://git.example/ops/platform.git' }));
    n.notify(event({ source: 'team-b.x', repoURL: 'git@git.example:team-b/x.git' }));
    await waitFor(
      'every event judged',
      async () =>
        ((await count('closed', 'sent')) ?? 0) + ((await count('closed', 'refused')) ?? 0) === 3 &&
        ((await count('open', 'sent')) ?? 0) + ((await count('open', 'refused')) ?? 0) === 3,
      10_000,
      20,
    );
    t.equal(await count('closed', 'sent'), 1, "no repositories: the file source's only");
    t.equal(await count('closed', 'refused'), 2, 'both GitSources refused');
    t.equal(await count('open', 'sent'), 1, 'git.example/team-a/* allows team-a/shop only');
    t.equal(await count('open', 'refused'), 2);
    t.same(
      api.seen.map((x) => x.path).sort(),
      [
        `/api/v1/repos/ops/platform/statuses/${'a'.repeat(40)}`,
        `/api/v1/repos/team-a/shop/statuses/${'a'.repeat(40)}`,
      ],
      'only to the API base the platform configured',
    );
  },
);
