// A Git remote that accepts connections and never answers must not stop a source: each Git
// network call has a deadline, the source reports it, and self-heal of the source's objects keeps
// working meanwhile. The remote is the real Git server behind a TCP relay the test can "hang"
// (accept, then say nothing), as a stuck proxy or a half-dead load balancer would.
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { startTestReconciler, trustOf } from '../support/reconciler.js';

const { cp, git, signer } = await gitOpsFixture(t);
const repo = await git.createRepo('deadline');
await repo.commit(
  {
    'app/cm.yaml': `${JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { mode: 'strict' },
    })}\n`,
  },
  { signer },
);

let hang = false;
const sockets = new Set<Socket>();
const relay = createServer((client) => {
  sockets.add(client);
  client.on('close', () => sockets.delete(client));
  client.on('error', () => undefined);
  if (hang) {
    client.once('data', () => {
      client.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/x-git-upload-pack-advertisement\r\n' +
          'transfer-encoding: chunked\r\n\r\n4\r\nffff\r\n',
      );
      const drip = setInterval(() => client.write('1\r\na\r\n'), 1000);
      client.on('close', () => clearInterval(drip));
    });
    return;
  }
  const upstream = connect(git.port, '127.0.0.1');
  sockets.add(upstream);
  upstream.on('close', () => sockets.delete(upstream));
  upstream.on('error', () => client.destroy());
  client.pipe(upstream).pipe(client);
});
await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
t.teardown(() => {
  for (const s of sockets) s.destroy();
  relay.close();
});
const port = (relay.address() as AddressInfo).port;
const url = repo.url.replace(`:${git.port}/`, `:${port}/`);

const rec = await startTestReconciler(
  cp,
  [
    {
      name: 'deadline',
      repoURL: url,
      path: 'app',
      destinationNamespace: 'deadline',
      createNamespace: true,
      timeout: '2s',
      verification: { mode: 'head', ...trustOf(signer) },
    },
  ],
  {},
  { autoStart: true },
);
t.teardown(() => rec.stop());

const mode = async (): Promise<string> =>
  (await cp.kubectl(['get', 'cm', 'settings', '-n', 'deadline', '-o', 'jsonpath={.data.mode}']))
    .stdout;

t.test(
  'a remote that never answers: the source says so, and self-heal keeps working',
  async (t) => {
    await waitFor(
      'first sync',
      async () => (await rec.status('deadline')).syncStatus === 'Synced',
      90_000,
      250,
    );
    hang = true;
    for (const s of sockets) s.destroy();
    // A sync now meets the silent remote; it must give up at the deadline, not hold the source.
    const stuck = rec.sync('deadline').then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    );
    const patched = await cp.kubectl([
      'patch',
      'cm',
      'settings',
      '-n',
      'deadline',
      '-p',
      '{"data":{"mode":"debug"}}',
    ]);
    t.equal(patched.code, 0, patched.stderr);
    await waitFor(
      'reverted while Git is silent',
      async () => (await mode()) === 'strict',
      60_000,
      250,
    );
    t.match(await stuck, /no answer within 2s/);
    const s = await rec.status('deadline');
    t.match(s.lastError, /no answer within 2s/);
    t.equal(hang, true, 'the remote was silent the whole time');
  },
);

t.test('the remote back: the next sync works again', async (t) => {
  hang = false;
  await rec.sync('deadline');
  const s = await rec.status('deadline');
  t.strictSame([s.syncStatus, s.errors], ['Synced', []]);
});
