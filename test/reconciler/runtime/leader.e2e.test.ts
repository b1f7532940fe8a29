import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { pino } from 'pino';
import { LeaderElector, leaseDecision } from '../../../reconciler/runtime/leader.js';
import { DRIFTGATE_NAMESPACE, startControlPlane } from '../../support/control-plane.js';
import { startGitServer } from '../../support/git-server.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { reconcilerProcesses } from '../../support/reconciler-process.js';
import { configMap, trustOf } from '../../support/reconciler.js';
import { createSshSigner } from '../../support/signing.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../../support/gitsources.js';

t.test(
  'lease decisions: create, renew, follow, take over only after an observed expiry',
  async (t) => {
    const at = (ms: number) => ({ renewTime: 'r1', atMs: ms });
    t.equal(leaseDecision(undefined, 'a', undefined, 0, 15_000), 'create');
    t.equal(leaseDecision({ holder: 'a', renewTime: 'r1' }, 'a', at(0), 1, 15_000), 'renew');
    t.equal(leaseDecision({ renewTime: 'r1' }, 'a', at(0), 1, 15_000), 'take-over', 'released');
    t.equal(leaseDecision({ holder: 'b', renewTime: 'r1' }, 'a', at(0), 10_000, 15_000), 'follow');
    t.equal(
      leaseDecision({ holder: 'b', renewTime: 'r1' }, 'a', at(0), 16_000, 15_000),
      'take-over',
    );
    t.equal(
      leaseDecision({ holder: 'b', renewTime: 'r2' }, 'a', at(0), 16_000, 15_000),
      'follow',
      'a renew time we have not seen yet is fresh',
    );
  },
);

// Two reconciler processes (the real CLI) against the real apiserver and one Lease.
t.test('two replicas: one reconciles; when it is killed the other takes over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dg-leader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cp = await startControlPlane();
  t.teardown(() => cp.stop());
  const git = await startGitServer();
  t.teardown(() => git.stop());
  const signer = await createSshSigner(join(dir, 'ssh'), 'Sam Ops', 'sam@example.com');
  const repo = await git.createRepo('leader');
  await repo.commit({ 'app/a.yaml': configMap('a', { v: '1' }) }, { signer });
  // And a GitSource: only the leader takes it in and writes its status.
  const kubectl = mustKubectl(cp);
  await installGitSourceApi(cp);
  await trustingNamespace(cp, 'team', signer);
  await kubectl(
    ['apply', '-f', '-'],
    gitSourceManifest('team', 'app', { repoURL: repo.url, path: 'app', interval: '1s' }),
  );
  const gitSourceRevision = async () =>
    (
      await cp.kubectl([
        'get',
        'gitsource',
        'app',
        '-n',
        'team',
        '-o',
        'jsonpath={.status.lastAppliedRevision}',
      ])
    ).stdout;

  const processes = reconcilerProcesses(cp.kubeconfigs.reconciler);
  t.teardown(() => processes.stopAll());
  const tokenFile = join(dir, 'control-token');
  writeFileSync(tokenFile, 'leader-control-t0ken\n');
  const replica = async (name: string) => {
    const port = await freePort();
    const cfg = join(dir, `${name}.yaml`);
    writeFileSync(
      cfg,
      stringify({
        namespace: DRIFTGATE_NAMESPACE,
        cacheDir: join(dir, `cache-${name}`),
        host: '127.0.0.1',
        statusPort: port,
        metricsPort: await freePort(),
        controlTokenFile: tokenFile,
        logLevel: 'error',
        leaderElection: { enabled: true, identity: name, leaseDuration: '3s', renewEvery: '1s' },
        gitSources: { enabled: true },
        sources: [
          {
            name: 'leader',
            repoURL: repo.url,
            ref: 'main',
            path: 'app',
            destinationNamespace: 'leader',
            createNamespace: true,
            interval: '1s',
            verification: { mode: 'head', ...trustOf(signer) },
          },
        ],
      }),
    );
    const child = processes.spawn(name, cfg);
    const get = async (path: string) => {
      try {
        return await fetch(`http://127.0.0.1:${port}${path}`, {
          headers: { authorization: 'Bearer leader-control-t0ken' },
        });
      } catch {
        return undefined;
      }
    };
    return {
      child,
      ready: async () => (await get('/readyz'))?.status === 200,
      revision: async () =>
        ((await (await get('/status/leader'))?.json()) as { revision: string | null } | undefined)
          ?.revision ?? null,
    };
  };
  /** Who holds a Lease and when it was last renewed (epoch ms). */
  const renewedBy = async (name: string) => {
    const got = await cp.kubectl([
      'get',
      'lease',
      name,
      '-n',
      DRIFTGATE_NAMESPACE,
      '-o',
      'jsonpath={.spec.holderIdentity} {.spec.renewTime}',
    ]);
    const [holder, renew] = got.stdout.split(' ');
    return { holder, after: renew ? Date.parse(renew) : 0 };
  };
  // In-process electors on another Lease: a released lease is taken over at once.
  const log = pino({ level: 'silent' });
  const events: string[] = [];
  const elector = (id: string) =>
    new LeaderElector(
      cp.kubeConfig('reconciler'),
      {
        namespace: DRIFTGATE_NAMESPACE,
        name: 'in-process',
        identity: id,
        leaseDurationMs: 2000,
        renewEveryMs: 500,
      },
      {
        onStartedLeading: () => void events.push(`${id} leads`),
        onStoppedLeading: () => void events.push(`${id} stopped`),
      },
      log,
    );
  const one = elector('one');
  one.start();
  await waitFor('one leads', async () => one.leading, 10_000, 50);
  const two = elector('two');
  const twoStarted = Date.now();
  two.start();
  // Wait for the holder to renew after a whole lease duration of two campaigning: had one
  // stopped renewing, two would have taken the lease by then.
  await waitFor(
    'one renews past a lease duration',
    async () => (await renewedBy('in-process')).after > twoStarted + 2000,
    10_000,
    100,
  );
  t.notOk(two.leading, 'two follows');
  await one.stop();
  await waitFor('two takes the released lease', async () => two.leading, 5000, 50);
  await two.stop();
  t.same(events, ['one leads', 'two leads']);

  const a = await replica('replica-a');
  await waitFor(
    'replica a leading and synced',
    async () => (await a.ready()) && (await a.revision()) !== null,
    60_000,
    200,
  );
  const b = await replica('replica-b');
  await waitFor(
    'replica b serving',
    async () => (await b.revision()) === null && !(await b.ready()),
    60_000,
    200,
  );
  const bStarted = Date.now();
  await waitFor(
    'a renews past a lease duration while b campaigns',
    async () => {
      const l = await renewedBy('driftgate-reconciler');
      return l.holder === 'replica-a' && l.after > bStarted + 3000;
    },
    15_000,
    200,
  );
  t.notOk(await b.ready(), 'b follows while a holds the lease');
  await waitFor(
    'the leader syncs the GitSource',
    async () => (await gitSourceRevision()) !== '',
    30_000,
    200,
  );
  t.equal(await b.revision(), null, 'the follower reconciles nothing');
  const holder = await cp.kubectl([
    'get',
    'lease',
    'driftgate-reconciler',
    '-n',
    DRIFTGATE_NAMESPACE,
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]);
  t.equal(holder.stdout, 'replica-a');

  a.child.kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor(
    'b takes over',
    async () => (await b.ready()) && (await b.revision()) !== null,
    30_000,
    200,
  );
  t.ok(Date.now() - killedAt < 15_000, `took over in ${Date.now() - killedAt} ms`);
  const now = await cp.kubectl([
    'get',
    'lease',
    'driftgate-reconciler',
    '-n',
    DRIFTGATE_NAMESPACE,
    '-o',
    'jsonpath={.spec.holderIdentity} {.spec.leaseTransitions}',
  ]);
  t.equal(now.stdout, 'replica-b 1');
  await repo.commit({ 'app/a.yaml': configMap('a', { v: '2' }) }, { signer });
  await waitFor(
    'the new leader applies new commits',
    async () =>
      (await cp.kubectl(['get', 'cm', 'a', '-n', 'leader', '-o', 'jsonpath={.data.v}'])).stdout ===
      '2',
    30_000,
    250,
  );
  const head = (await repo.git(['rev-parse', 'HEAD'])).trim();
  await waitFor(
    'the new leader moves the GitSource',
    async () => (await gitSourceRevision()) === head,
    30_000,
    250,
  );
  t.equal(
    (await cp.kubectl(['get', 'cm', 'a', '-n', 'team', '-o', 'jsonpath={.data.v}'])).stdout,
    '2',
  );
});
