import t from 'tap';
import { request } from 'node:https';
import {
  configMapReview,
  metricValue,
  postToWebhook,
  startTestWebhook,
} from '../support/webhook.js';

// Straight HTTPS to the webhook (no apiserver): what a broken or hostile client can send.
const wh = await startTestWebhook(undefined, { bodyLimitBytes: 64 * 1024 });
t.teardown(() => wh.stop());

const post = (path: string, body: string | Buffer, contentType?: string) =>
  postToWebhook(`${wh.url}${path}`, wh.handle.caBundle(), body, contentType);

const good = configMapReview;

const cases = [
  { name: 'not JSON', body: '{"apiVersion": ', code: 'WEBHOOK_NOT_JSON', reason: /not JSON/ },
  {
    name: 'wrong apiVersion',
    body: good('u').replace('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'),
    code: 'WEBHOOK_WRONG_KIND',
    reason:
      /expected admission\.k8s\.io\/v1 AdmissionReview \(got admission\.k8s\.io\/v1beta1\/AdmissionReview\)/,
  },
  {
    name: 'wrong kind',
    body: good('u').replace('"AdmissionReview"', '"Pod"'),
    code: 'WEBHOOK_WRONG_KIND',
    reason: /got admission\.k8s\.io\/v1\/Pod/,
  },
  {
    name: 'no request',
    body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
    code: 'WEBHOOK_NO_REQUEST',
    reason: /no request/,
  },
  { name: 'no uid', body: good(''), code: 'WEBHOOK_NO_UID', reason: /no uid/ },
  {
    name: 'unknown operation',
    body: good('u').replace('"CREATE"', '"PATCH"'),
    code: 'WEBHOOK_UNKNOWN_OPERATION',
    reason: /unknown operation "PATCH"/,
  },
  {
    name: 'wrong content type',
    body: good('u'),
    type: 'text/plain',
    code: 'WEBHOOK_CONTENT_TYPE',
    reason: /must be application\/json \(got "text\/plain"\)/,
  },
  {
    name: 'body over the limit',
    body: Buffer.alloc(65 * 1024, 'a'),
    code: 'WEBHOOK_BODY_TOO_LARGE',
    reason: /over the 65536-byte limit/,
  },
];

for (const c of cases) {
  t.test(`${c.name}: 400 with the reason, and the next good request is answered`, async (t) => {
    const bad = await post('/validate', c.body, c.type);
    t.equal(bad.status, 400);
    t.equal(bad.json.error, c.code);
    t.match(String(bad.json.message), c.reason);
    const next = await post('/validate', good(`after-${c.code}`));
    t.equal(next.status, 200, 'server still serving');
    t.match(next.json, {
      kind: 'AdmissionReview',
      response: { uid: `after-${c.code}`, allowed: true },
    });
  });
}

t.test('bad requests are counted by code', async (t) => {
  const text = await wh.metrics();
  t.equal(
    metricValue(text, 'driftgate_admission_bad_requests_total', { code: 'WEBHOOK_NOT_JSON' }),
    1,
  );
  t.equal(
    metricValue(text, 'driftgate_admission_bad_requests_total', { code: 'WEBHOOK_BODY_TOO_LARGE' }),
    1,
  );
});

t.test('health, readiness and unknown routes', async (t) => {
  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      request(`${wh.url}${path}`, { ca: wh.handle.caBundle() }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
  t.equal(await get('/healthz'), 200);
  t.equal(await get('/readyz'), 200, 'ready once a bundle is loaded');
  t.equal(await get('/nope'), 404);
});

t.test('the uid is echoed and the patch is base64 JSONPatch on /mutate', async (t) => {
  const body = JSON.parse(good('mutate-1'));
  body.request.kind = { group: 'apps', version: 'v1', kind: 'Deployment' };
  body.request.object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'shop' },
    spec: { template: { spec: { containers: [] } } },
  };
  const res = await post('/mutate', JSON.stringify(body));
  t.equal(res.status, 200);
  const response = res.json.response as {
    uid: string;
    allowed: boolean;
    patchType: string;
    patch: string;
  };
  t.equal(response.uid, 'mutate-1');
  t.equal(response.patchType, 'JSONPatch');
  t.same(JSON.parse(Buffer.from(response.patch, 'base64').toString()), [
    { op: 'add', path: '/metadata/labels', value: { team: 'unassigned' } },
  ]);
  const v = await post('/validate', JSON.stringify(body));
  t.notOk('patchType' in (v.json.response as object), 'validate never returns a patch');
});
