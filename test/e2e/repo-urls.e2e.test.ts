// A GitSource's repoURL is hostile input (issue 26 finding 8), through the real apiserver: a
// link-local or metadata address is refused before dialling; an internal service's answer never
// reaches the GitSource status or GET /status; private addresses are refused when the platform
// says so (gitSources.allowPrivateNetworks: false), names checked as they resolve.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitOpsFixture } from '../support/e2e.js';
import { waitFor } from '../support/processes.js';
import { configMap, startTestReconciler, type TestReconciler } from '../support/reconciler.js';
import {
  gitSourceManifest,
  installGitSourceApi,
  mustKubectl,
  trustingNamespace,
} from '../support/gitsources.js';

const { cp, git, signer } = await gitOpsFixture(t);
const must = mustKubectl(cp);
await installGitSourceApi(cp);
await trustingNamespace(cp, 'team-a', signer);
const repo = await git.createRepo('apps');
await repo.commit({ 'app/cm.yaml': configMap('settings', { v: '1' }) }, { signer });

// An internal service a tenant should not be able to read through driftgate.
let internalHits = 0;
const internal = createServer((_req, res) => {
  internalHits++;
  res.end('INTERNAL-ADMIN-TOKEN=s3cr3t-from-inside');
});
await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
t.teardown(() => void internal.close());
const internalURL = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/admin.git`;

let rec: TestReconciler;
const start = async (allowPrivateNetworks: boolean) => {
  rec = await startTestReconciler(
    cp,
    [],
    { gitSources: { enabled: true, allowPrivateNetworks } },
    { autoStart: true },
  );
};
t.teardown(() => rec.stop());
const apply = (name: string, repoURL: string) =>
  must(
    ['apply', '-f', '-'],
    gitSourceManifest('team-a', name, { repoURL, path: 'app', interval: '1h' }),
  );
/** The GitSource's status once its Synced condition is False, as JSON text. */
const failedStatus = async (name: string): Promise<string> => {
  let status = '';
  await waitFor(
    `${name} to report its fetch failed`,
    async () => {
      status = await must(['get', 'gitsource', name, '-n', 'team-a', '-o', 'jsonpath={.status}']);
      return /RECONCILE_GIT_UNAVAILABLE|git fetch/.test(status);
    },
    60_000,
    250,
  );
  return status;
};

t.test('metadata and link-local addresses are refused before dialling', async (t) => {
  await start(true);
  for (const [name, url] of [
    ['metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['decimal', 'http://2852039166/computeMetadata/v1/'],
    ['metadata-v6', 'http://[fd00:ec2::254]/latest/'],
  ] as const) {
    await apply(name, url);
    const status = await failedStatus(name);
    t.match(status, /is a link-local, metadata or special address, never a Git remote/, name);
  }
});

t.test("an internal service's answer never reaches status", async (t) => {
  await apply('internal', internalURL);
  const status = await failedStatus('internal');
  t.ok(internalHits > 0, 'private addresses are allowed by default: it was asked');
  t.match(
    status,
    'the remote did not answer as a Git server (smart HTTP); its answer is not shown',
  );
  const served = JSON.stringify(await rec.status('team-a.internal'));
  for (const [where, text] of [
    ['GitSource status', status],
    ['GET /status', served],
  ] as const)
    t.notMatch(text, /INTERNAL-ADMIN-TOKEN|s3cr3t/, `${where}: no byte of the answer`);
});

t.test(
  'private networks refused when the platform says so; names checked as resolved',
  async (t) => {
    await rec.stop();
    for (const name of ['metadata', 'decimal', 'metadata-v6', 'internal'])
      await must(['delete', 'gitsource', name, '-n', 'team-a']);
    internalHits = 0;
    await start(false);
    await apply('loopback', internalURL);
    await apply('named', repo.url.replace('127.0.0.1', 'localhost'));
    t.match(
      await failedStatus('loopback'),
      /127\.0\.0\.1 is a private address and the platform allows public Git remotes only/,
    );
    t.match(await failedStatus('named'), /localhost resolves to .* is a private address/);
    t.equal(internalHits, 0, 'never dialled');
  },
);
