import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createCertificate } from '../../webhook/tls/pki.js';
import { decodeReview } from '../../webhook/review.js';
import type { AdmissionReview } from '../../webhook/types.js';
import { createNamespace, startControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/processes.js';
import { deployment } from '../support/webhook.js';

// Capture what the real kube-apiserver sends a webhook, check the contract points driftgate
// relies on, and keep the payloads as fixtures for the decoder's unit tests.
// DRIFTGATE_UPDATE_FIXTURES=1 rewrites the fixture files from this run.
const FIXTURES = join(import.meta.dirname, 'fixtures');
const cp = await startControlPlane();
t.teardown(() => (process.env.DG_KEEP ? undefined : cp.stop()));

const serving = createCertificate({
  commonName: 'recorder',
  usage: 'server',
  issuer: cp.ca,
  ipAddresses: ['127.0.0.1'],
});
const seen: AdmissionReview[] = [];
const recorder = createServer(
  { cert: serving.certPem, key: serving.keyPem, minVersion: 'TLSv1.2' },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = decodeReview(req.headers['content-type'], Buffer.concat(chunks));
      seen.push(review);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true },
        }),
      );
    });
  },
);
await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => recorder.close(() => r())));
const port = (recorder.address() as AddressInfo).port;
const ns = await createNamespace(cp, 'capture');

const webhook = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: recorder }
webhooks:
- name: recorder.driftgate.io
  clientConfig: { url: "https://127.0.0.1:${port}/validate", caBundle: ${Buffer.from(cp.caPem).toString('base64')} }
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ${ns} } }
  rules:
  - apiGroups: [apps]
    apiVersions: [v1]
    operations: [CREATE, UPDATE, DELETE]
    resources: [deployments, deployments/scale]
`;
const registered = await cp.kubectl(['apply', '-f', '-'], { input: webhook });
if (registered.code !== 0) throw new Error(registered.stderr);
await waitFor(
  'the recorder to be called',
  async () => {
    await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: deployment('warmup', ns) });
    return seen.length > 0;
  },
  30_000,
  250,
);
seen.length = 0;

const take = async (name: string, args: string[], input?: string): Promise<AdmissionReview> => {
  const before = seen.length;
  const r = await cp.kubectl(args, { as: 'developer', ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(`${name}: ${r.stderr}`);
  await waitFor(`${name} to be recorded`, async () => seen.length > before, 10_000, 50);
  return seen[seen.length - 1] as AdmissionReview;
};

const captured: Record<string, AdmissionReview> = {};
captured.create = await take(
  'create',
  ['apply', '--server-side', '--field-manager=kubectl-alice', '-f', '-'],
  deployment('web', ns),
);
captured['create-dry-run'] = await take(
  'create-dry-run',
  ['apply', '--dry-run=server', '-f', '-'],
  deployment('dry', ns),
);
captured.update = await take('update', ['label', 'deploy/web', '-n', ns, 'tier=frontend']);
captured.scale = await take('scale', ['scale', 'deploy/web', '-n', ns, '--replicas=3']);
captured.delete = await take('delete', ['delete', 'deploy/web', '-n', ns, '--wait=false']);

t.test('the apiserver sends what the AdmissionReview contract says', async (t) => {
  const { create, update, scale } = captured;
  t.match(create?.request, {
    operation: 'CREATE',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    namespace: ns,
    name: 'web',
    options: { fieldManager: 'kubectl-alice' },
  });
  t.match(create?.request.userInfo, {
    username: 'alice',
    groups: ['driftgate:developers', 'system:authenticated'],
  });
  t.equal(create?.request.oldObject, null, 'no oldObject on CREATE');
  t.equal(captured['create-dry-run']?.request.dryRun, true, 'dryRun set for --dry-run=server');
  t.equal(create?.request.dryRun, false);
  t.ok(update?.request.oldObject, 'UPDATE carries oldObject');
  t.match(scale?.request, {
    operation: 'UPDATE',
    subResource: 'scale',
    kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    object: { kind: 'Scale', spec: { replicas: 3 } },
  });
  t.match(captured.delete?.request, {
    operation: 'DELETE',
    object: null,
    oldObject: { kind: 'Deployment' },
  });
});

t.test('fixtures match the shape the apiserver sends today', async (t) => {
  for (const [name, review] of Object.entries(captured)) {
    const file = join(FIXTURES, `${name}.json`);
    if (process.env.DRIFTGATE_UPDATE_FIXTURES === '1' || !existsSync(file))
      writeFileSync(file, JSON.stringify(review, null, 2) + '\n');
    const fixture = JSON.parse(readFileSync(file, 'utf8')) as AdmissionReview;
    t.same(
      Object.keys(fixture.request).sort(),
      Object.keys(review.request).sort(),
      `${name}: same request fields`,
    );
    t.same(fixture.request.kind, review.request.kind, `${name}: same kind`);
  }
});
