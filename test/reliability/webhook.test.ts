import t, { type Test } from 'tap';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { policyDir } from '../support/policy-dirs.js';
import { postToWebhook, type PostAnswer } from '../support/webhook.js';
import { knownCase, nodeBomb, request as admissionRequest, review } from './cases.js';
import { runFuzz } from './fuzz.js';
import { serveWebhook, type ServedWebhook } from './served.js';

// The webhook as its own process, compiled as in the image and with the chart's heap bounds, hit
// the way findings 1-6b of issue 9 hit it. `npm run test:fuzz` runs the long fuzz (100,000 cases).
const wh = await serveWebhook({ maxConnections: 200 }, undefined, true);
t.teardown(() => wh.stop());

type Answer = PostAnswer<{
  error?: string;
  response?: { uid: string; allowed: boolean; status?: { message: string } };
}>;

const post = (target: ServedWebhook, body: Buffer | string): Promise<Answer> =>
  postToWebhook(`${target.url}/validate`, target.ca, body);

const knownAnswersHold = async (t: Test, target = wh): Promise<void> => {
  const allow = await post(target, knownCase('known-allow', false).body);
  const deny = await post(target, knownCase('known-deny', true).body);
  t.equal(allow.json.response?.allowed, true, 'a compliant request is allowed');
  t.equal(deny.json.response?.allowed, false, 'a privileged Pod is denied');
};

t.test('finding 1: a 2,000,000-object review is refused with 400, the process lives', async (t) => {
  const a = await post(wh, nodeBomb('bomb'));
  t.equal(a.status, 400);
  t.equal(a.json.error, 'WEBHOOK_TOO_MANY_NODES');
  t.ok(wh.alive(), 'webhook still running');
  await knownAnswersHold(t);
});

// The chart's webhook memory limit (Mi), which the worst case below must stay under.
const chartLimitMiB = Number(
  /limits: \{ memory: (\d+)Mi \}/.exec(
    readFileSync(join(import.meta.dirname, '../../charts/driftgate/values.yaml'), 'utf8'),
  )?.[1],
);

t.test('finding 2: concurrent worst-case bodies stay inside the chart memory limit', async (t) => {
  const bodies = [nodeBomb('b', 90_000), nodeBomb('b', 90_000)];
  const big = JSON.stringify(
    review(
      admissionRequest('big', {
        object: {
          kind: 'ConfigMap',
          metadata: { name: 'c' },
          data: { x: 'x'.repeat(2.5 * 1024 * 1024) },
        },
      }),
    ),
  );
  const answers = await Promise.all(
    Array.from({ length: 24 }, (_, i) => post(wh, i % 3 === 2 ? big : (bodies[i % 2] as Buffer))),
  );
  t.ok(
    answers.every((a) => a.status === 200 || a.json.error === 'WEBHOOK_OVERLOADED'),
    `answered 200 or 503 (${answers.map((a) => a.json.error ?? a.status)})`,
  );
  t.ok(
    answers.some((a) => a.status === 200),
    'some were evaluated',
  );
  t.ok(wh.alive(), 'webhook still running');
  const peak = wh.peakRssMiB();
  t.ok(peak < chartLimitMiB, `peak RSS ${peak.toFixed(0)} MiB under ${chartLimitMiB} MiB`);
  await knownAnswersHold(t);
});

t.test('finding 3: lone surrogates do not poison the engine', async (t) => {
  for (let i = 0; i < 150; i++) {
    const name = `c\ud800${i}\udfff`;
    const body = JSON.stringify(
      review(
        admissionRequest(`s${i}`, {
          name,
          object: {
            kind: 'ConfigMap',
            metadata: { name, labels: { ['\udc00']: '\ud800' } },
            data: { ['\ud800']: 'x\udbff' },
          },
        }),
      ),
    );
    const a = await post(wh, body);
    t.equal(a.json.response?.uid, `s${i}`, 'answered', { bail: true });
  }
  await knownAnswersHold(t);
  const ready = await fetch(`${wh.metricsUrl}`).then((r) => r.text());
  t.match(ready, /driftgate_policy_engine_restarts_total\{reason="crash"\} 0/);
});

t.test('finding 4: a 4,000-container workload is refused at once', async (t) => {
  const containers = Array.from({ length: 4000 }, (_, i) => ({
    name: `c${i}`,
    image: `nginx:${i}`,
  }));
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'wide', namespace: 'shop' },
    spec: { template: { spec: { containers } } },
  };
  const a = await post(
    wh,
    JSON.stringify(
      review(
        admissionRequest('wide', {
          kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
          object: obj,
        }),
      ),
    ),
  );
  t.equal(a.json.response?.allowed, false);
  t.match(a.json.response?.status?.message, /WEBHOOK_TOO_MANY_CONTAINERS/);
  t.ok(a.ms < 2000, `answered in ${a.ms.toFixed(0)} ms`);
});

t.test('finding 5: every malformed userInfo is a 400 with a stable code', async (t) => {
  for (const userInfo of [
    undefined,
    null,
    'alice',
    3,
    { groups: 'system:masters' },
    { groups: { a: 1 } },
    { groups: 5 },
  ]) {
    const a = await post(wh, JSON.stringify(review(admissionRequest('u', { userInfo }))));
    t.equal(a.status, 400, JSON.stringify(userInfo) ?? 'undefined');
    t.equal(a.json.error, 'WEBHOOK_BAD_FIELD');
  }
});

t.test('finding 6: a short fuzz run (the long one is npm run test:fuzz)', async (t) => {
  const report = await runFuzz(wh, { cases: 3000, seed: 9, concurrency: 8 });
  t.same(report.examples, [], 'no wrong answers or crashes');
  t.equal(report.crashes, 0);
  t.equal(report.wrong, 0);
  t.equal(report.sent, 3000);
  t.ok(
    report.knownAnswers >= 300 && report.badRequests > 1000 && report.reviews > 1000,
    JSON.stringify(report),
  );
  t.ok(wh.alive());
});

t.test(
  'finding 6b: idle connections are closed; TLS 1.2 offers forward-secret AEAD only',
  async (t) => {
    const port = Number(new URL(wh.url).port);
    const bare = tcpConnect(port, '127.0.0.1');
    const started = Date.now();
    await once(bare, 'close');
    t.ok(Date.now() - started < 9000, `bare TCP closed after ${Date.now() - started} ms`);
    const handshake = (ciphers: string) =>
      new Promise<string>((resolve) => {
        const s = tlsConnect(
          { host: '127.0.0.1', port, ca: wh.ca, maxVersion: 'TLSv1.2', ciphers },
          () => {
            resolve(s.getCipher().name);
            s.end();
          },
        );
        s.on('error', (e) => resolve(`refused: ${e.message}`));
      });
    t.match(await handshake('AES128-SHA'), /^refused/);
    t.match(await handshake('AES256-SHA256'), /^refused/);
    t.equal(await handshake('ECDHE-RSA-AES128-GCM-SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
    // The connection cap (200 here): 250 idle sockets, the extra ones are closed at once.
    const sockets = Array.from({ length: 250 }, () => tcpConnect(port, '127.0.0.1'));
    const closed = await new Promise<number>((resolve) => {
      let n = 0;
      // Resolve as soon as 50 are closed (the cap at work); give up after 10 s.
      const give = setTimeout(() => resolve(n), 10_000);
      for (const s of sockets)
        s.on('close', () => {
          if (++n === 50) {
            clearTimeout(give);
            resolve(n);
          }
        }).on('error', () => undefined);
    });
    t.ok(closed >= 50, `${closed} of 250 connections over the cap were closed`);
    sockets.forEach((s) => s.destroy());
  },
);

t.test('deadline: a runaway evaluation is cut off and others are not stalled', async (t) => {
  const slow = policyDir({
    'test/slow/policy.rego': `package driftgate.test.slow

import rego.v1

deny contains "slow" if {
	input.request.object.metadata.labels.slow == "yes"
	some a in input.request.object.xs
	some b in input.request.object.xs
	a > b
	b > a
}
`,
    'test/slow/policy_test.rego': `package driftgate.test.slow_test

import data.driftgate.test.slow
import rego.v1

test_fast if count(slow.deny) == 0 with input as {"request": {"object": {"metadata": {}}}}
`,
  });
  t.teardown(slow.cleanup);
  const target = await serveWebhook({ evaluationTimeoutMs: 1500 }, slow.dir);
  t.teardown(() => target.stop());
  // 100,000,000 comparisons and no allocation: many seconds of CPU, far past the 1.5 s deadline.
  const xs = Array.from({ length: 10000 }, (_, i) => i);
  const slowBody = JSON.stringify(
    review(
      admissionRequest('slow', {
        object: { kind: 'ConfigMap', metadata: { name: 'c', labels: { slow: 'yes' } }, xs },
      }),
    ),
  );
  const pending = post(target, slowBody);
  const quick = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      post(target, JSON.stringify(review(admissionRequest(`q${i}`)))),
    ),
  );
  const a = await pending;
  t.equal(a.json.response?.allowed, false, 'the runaway request is refused (failurePolicy Fail)');
  t.match(a.json.response?.status?.message, /WEBHOOK_EVAL_TIMEOUT/, JSON.stringify(a.json));
  t.ok(
    quick.every((q) => q.json.response?.allowed === true),
    'the others were answered',
  );
  // They did not wait for the runaway one: all answered well before its 1.5 s deadline.
  t.ok(
    Math.max(...quick.map((q) => q.ms)) < 1000,
    `others took at most ${Math.max(...quick.map((q) => q.ms)).toFixed(0)} ms`,
  );
  t.ok(a.ms >= 1500, `the runaway one was answered at its deadline (${a.ms.toFixed(0)} ms)`);
  const metrics = await fetch(target.metricsUrl).then((r) => r.text());
  t.match(metrics, /driftgate_policy_engine_restarts_total\{reason="timeout"\} 1/);
  const after = await post(target, JSON.stringify(review(admissionRequest('after'))));
  t.equal(after.json.response?.allowed, true, 'answers after the worker was replaced');
});
