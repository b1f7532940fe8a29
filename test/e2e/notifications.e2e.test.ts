// Notifications through real parts: a GitSource whose repository lives on a real Gitea (built from
// the Go module proxy), synced by the reconciler into the real apiserver; each commit's status is
// read back from Gitea's API (success when applied, failure when it does not apply, error when
// refused unsigned). Beside it, a team's webhook receiver (a local HTTP server checking the HMAC
// signature) and an endpoint that accepts connections and never answers: it delays nothing else.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOpsFixture } from '../support/e2e.js';
import { startGitea } from '../support/gitea.js';
import { waitFor } from '../support/processes.js';
import { configMap, signedSource, startTestReconciler } from '../support/reconciler.js';
import { metricValue } from '../support/webhook.js';
import { closeServer, listen } from '../../core/http.js';

const { dir, git, cp, signer } = await gitOpsFixture(t);
const gitea = await startGitea();
t.teardown(() => gitea.stop());
const created = await gitea.api('POST', '/user/repos', { name: 'shop', private: false });
if (created.status !== 201) throw new Error(`Gitea refused the repository: ${created.status}`);

// Commits are made in a work clone and pushed to Gitea, which is the source's repoURL.
const local = await git.createRepo('shop');
const push = async (files: Record<string, string>, signed = true) => {
  const sha = await local.commit(files, signed ? { signer } : {});
  await local.git(['push', '--force', gitea.repoURL('shop', true), 'HEAD:main']);
  return sha;
};

// A team's webhook receiver, and an endpoint that never answers.
const received: { event: string; body: Record<string, unknown>; signed: boolean }[] = [];
const receiver: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const sig = `sha256=${createHmac('sha256', 'receiver-k3y').update(body).digest('hex')}`;
    received.push({
      event: String(req.headers['x-driftgate-event']),
      body: JSON.parse(body) as Record<string, unknown>,
      signed: req.headers['x-driftgate-signature'] === sig,
    });
    res.writeHead(204).end();
  });
});
const hanging: Server = createServer(() => undefined);
const receiverPort = await listen(receiver, '127.0.0.1', 0);
const hangingPort = await listen(hanging, '127.0.0.1', 0);
t.teardown(() => closeServer(receiver));
t.teardown(() => closeServer(hanging));

const secret = (name: string, text: string) => {
  writeFileSync(join(dir, name), `${text}\n`, { mode: 0o600 });
  return join(dir, name);
};
const first = await push({ 'apps/settings.yaml': configMap('settings', { mode: 'strict' }) });
const rec = await startTestReconciler(cp, [signedSource('shop', gitea.repoURL('shop'), signer)], {
  notifications: {
    providers: [
      {
        name: 'gitea',
        type: 'gitea',
        address: gitea.url,
        tokenFile: secret('gitea-token', gitea.token),
      },
      {
        name: 'team',
        type: 'webhook',
        addressFile: secret('team-url', `http://127.0.0.1:${receiverPort}/driftgate`),
        secretFile: secret('team-key', 'receiver-k3y'),
      },
      {
        name: 'stuck',
        type: 'webhook',
        address: `http://127.0.0.1:${hangingPort}/`,
        timeout: '60s',
      },
    ],
    alerts: [
      { providers: ['gitea', 'stuck'] },
      { providers: ['team'], events: ['RevisionApplied', 'SyncFailed', 'CommitRefused'] },
    ],
  },
});
t.teardown(() => rec.stop());

interface Status {
  status: string;
  context: string;
  description: string;
}
const statuses = async (sha: string): Promise<Status[]> =>
  (await gitea.api('GET', `/repos/${gitea.user}/shop/commits/${sha}/statuses`)).body as Status[];
const statusOf = async (sha: string, state: string) => {
  await waitFor(
    `commit ${sha.slice(0, 8)} ${state} on Gitea`,
    async () => (await statuses(sha)).some((s) => s.status === state),
    60_000,
    250,
  );
  return (await statuses(sha)).find((s) => s.status === state) as Status;
};
const counted = async (provider: string, result: string) =>
  metricValue(await rec.metrics(), 'driftgate_notifications_total', { provider, result }) ?? 0;

t.test('an applied commit shows success on Gitea; a stuck endpoint delays nothing', async (t) => {
  await rec.sync('shop');
  const s = await statusOf(first, 'success');
  t.equal(s.context, 'driftgate/shop');
  t.match(s.description, `applied ${first.slice(0, 12)}`);
  t.equal(await counted('stuck', 'failed'), 0, 'the stuck endpoint is still on its first try');
  // Gitea stores the status before it answers: the count follows its answer.
  await waitFor('counted as sent', async () => (await counted('gitea', 'sent')) === 1, 30_000);
  await waitFor('the team got it', async () => received.length >= 1, 30_000);
  t.match(received[0], {
    event: 'RevisionApplied',
    signed: true,
    body: {
      kind: 'driftgate.io/event',
      source: 'shop',
      revision: first,
      repoURL: gitea.repoURL('shop'),
    },
  });
});

t.test('a commit that does not apply shows failure; an unsigned one, error', async (t) => {
  const bad = await push({ 'apps/bad.yaml': configMap('Not_A_Valid_Name', { a: 'b' }) });
  await rec.sync('shop').catch(() => undefined);
  t.match(await rec.status('shop'), { syncStatus: 'Failed' });
  const failure = await statusOf(bad, 'failure');
  t.equal(failure.context, 'driftgate/shop');
  t.match(failure.description, 'Not_A_Valid_Name');
  t.same(
    (await statuses(first)).map((s) => s.status),
    ['success'],
    'the applied commit keeps its',
  );
  const unsigned = await push({ 'apps/bad.yaml': configMap('fixed', { a: 'b' }) }, false);
  await rec.sync('shop').catch(() => undefined);
  const refused = await statusOf(unsigned, 'error');
  t.match(refused.description, 'refused (unsigned)');
  await waitFor(
    'the team got all three',
    async () => received.map((r) => r.event).join() === 'RevisionApplied,SyncFailed,CommitRefused',
    30_000,
  );
  t.ok(
    received.every((r) => r.signed),
    'every delivery signed',
  );
});

t.test('no token or endpoint in status or metrics', async (t) => {
  const seen = JSON.stringify(await rec.status('shop')) + (await rec.metrics());
  t.notMatch(seen, gitea.token);
  t.notMatch(seen, 'receiver-k3y');
  t.notMatch(seen, `127.0.0.1:${receiverPort}`);
});
