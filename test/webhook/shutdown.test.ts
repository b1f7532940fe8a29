import t from 'tap';
import { Agent, request } from 'node:https';
import { configMapReview, startTestWebhook } from '../support/webhook.js';

// SIGTERM in a rollout: the webhook drains (not ready, every answer closes its connection so the
// apiserver reconnects to another pod) for shutdownDelaySeconds, then stops.
const wh = await startTestWebhook();
t.teardown(() => wh.stop());
const agent = new Agent({ keepAlive: true, ca: wh.handle.caBundle() });
t.teardown(() => agent.destroy());

const review = configMapReview('drain');

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}
const call = (method: string, path: string, body?: string) =>
  new Promise<Answer>((resolve, reject) => {
    const req = request(
      `${wh.url}${path}`,
      { method, agent, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });

t.test('draining: not ready, still answering, connections closed; then stopped', async (t) => {
  const before = await call('POST', '/validate', review);
  t.same([before.status, before.connection], [200, 'keep-alive'], 'kept alive while serving');
  const stopped = wh.handle.shutdown(400);
  const ready = await call('GET', '/readyz');
  t.same([ready.status, ready.body], [503, 'shutting down'], 'leaves the endpoints');
  const during = await call('POST', '/validate', review);
  t.equal(during.status, 200, 'a review is still answered');
  t.match(JSON.parse(during.body), { response: { uid: 'drain', allowed: true } });
  t.equal(during.connection, 'close', 'and its connection closed, so the client reconnects');
  await stopped;
  await t.rejects(call('GET', '/healthz'), { code: 'ECONNREFUSED' }, 'stopped after the delay');
});
