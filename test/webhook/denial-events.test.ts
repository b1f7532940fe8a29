// Denials as Events: the Event's shape, and the bounds that keep a burst of denials from becoming
// a burst of apiserver writes (one per same denial a minute, a queue of 64). The apiserver is a
// local HTTPS stand-in counting POSTs here; test/e2e/status-page.e2e.test.ts has the real one.
import t from 'tap';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { DenialEvents, denialEvent } from '../../webhook/denial-events.js';
import type { AdmissionRequest } from '../../webhook/types.js';
import { createCertificate } from '../../webhook/tls/pki.js';
import { waitFor } from '../support/processes.js';

const request = (name: string, ns = 'team-a'): AdmissionRequest => ({
  uid: name,
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  name,
  namespace: ns,
  operation: 'CREATE',
  userInfo: { username: 'alice' },
  object: { metadata: { name } },
});

t.test('the Event names the object, the user and the message', (t) => {
  const ev = denialEvent(request('web'), 'driftgate policy: no', 'driftgate-system', new Date(0));
  t.match(ev, {
    metadata: { namespace: 'team-a', generateName: 'driftgate-denied-' },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'team-a' },
    type: 'Warning',
    reason: 'AdmissionDenied',
    message: 'alice: CREATE denied: driftgate policy: no',
    reportingComponent: 'driftgate-webhook',
  });
  const cluster = denialEvent(
    {
      ...request('admin'),
      namespace: undefined,
      kind: { group: '', version: 'v1', kind: 'Namespace' },
    },
    'x'.repeat(5000),
    'driftgate-system',
    new Date(0),
  );
  t.equal(
    (cluster.metadata as { namespace: string }).namespace,
    'driftgate-system',
    "cluster-scoped: in driftgate's namespace",
  );
  t.equal((cluster.message as string).length, 1000, 'bounded');
  t.end();
});

t.test('the same denial is said once; a flood is bounded; dry runs are not said', async (t) => {
  const ca = createCertificate({ commonName: 'ca', usage: 'ca' });
  const leaf = createCertificate({
    commonName: 'localhost',
    usage: 'server',
    issuer: ca,
    ipAddresses: ['127.0.0.1'],
  });
  const names: string[] = [];
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      names.push((JSON.parse(body) as { involvedObject: { name: string } }).involvedObject.name);
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const events = new DenialEvents({
    access: {
      server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      ca: Buffer.from(ca.certPem),
    },
    namespace: 'driftgate-system',
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => events.close());
  for (let i = 0; i < 50; i++) events.denied(request('same'), 'no');
  events.denied({ ...request('dry'), dryRun: true }, 'no');
  events.denied(request('marker'), 'no');
  await waitFor('the marker', async () => names.includes('marker'), 30_000, 20);
  t.same(names, ['same', 'marker'], 'one Event for 50 identical denials, none for the dry run');
  for (let i = 0; i < 200; i++) events.denied(request(`flood-${i}`), 'no');
  await waitFor('the queue drained', async () => names.length >= 2 + 64, 60_000, 50);
  t.equal(names.length, 2 + 64, 'at most 64 queued: the rest dropped, not waited for');
});
