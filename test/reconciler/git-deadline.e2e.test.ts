// A Git remote that accepts connections and never answers must not stop a source: each Git
// network call has a deadline, the source reports it, and self-heal of the source's objects keeps
// working meanwhile. The remote is the real Git server behind a TCP relay the test can "hang"
// (accept, then say nothing), as a stuck proxy or a half-dead load balancer would.
import { gitRelay } from '../support/git-relay.js';
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

const relay = await gitRelay(git.port, repo.url);
t.teardown(() => relay.close());
const url = relay.url;

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
    relay.stall();
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
    t.equal(relay.hang, true, 'the remote was silent the whole time');
  },
);

t.test('the remote back: the next sync works again', async (t) => {
  relay.hang = false;
  await rec.sync('deadline');
  const s = await rec.status('deadline');
  t.strictSame([s.syncStatus, s.errors], ['Synced', []]);
});
