// OpenTelemetry traces through real parts: a real Jaeger (the OTLP receiver and its query API)
// receives the kube-apiserver's own spans (its TracingConfiguration) and driftgate's. A kubectl
// write the library warns about is one trace from the apiserver into the webhook (W3C
// traceparent) with a child span for the policy evaluation; a sync is one trace with a span per
// stage, carrying the commit. Read back from Jaeger's API, never from driftgate.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { gitOpsFixture } from '../support/e2e.js';
import { startJaeger, type JaegerSpan, type JaegerTrace } from '../support/jaeger.js';
import { waitFor } from '../support/processes.js';
import { configMap, signedSource, startTestReconciler } from '../support/reconciler.js';
import { registerWebhooks, startTestWebhook } from '../support/webhook.js';

const jaeger = await startJaeger();
t.teardown(() => jaeger.stop());
const tracingConfig = join(mkdtempSync(join(tmpdir(), 'dg-tracing-')), 'tracing.yaml');
writeFileSync(
  tracingConfig,
  stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'TracingConfiguration',
    endpoint: jaeger.otlpGrpc,
    samplingRatePerMillion: 1_000_000,
  }),
);
const { cp, git, signer } = await gitOpsFixture(t, {
  controlPlane: { apiServerArgs: [`--tracing-config-file=${tracingConfig}`] },
});

const tag = (s: JaegerSpan, key: string) => s.tags.find((x) => x.key === key)?.value;
const parentOf = (s: JaegerSpan) => s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
/** Poll Jaeger until `find` returns something from the service's traces. */
async function found<T>(
  what: string,
  service: string,
  find: (traces: JaegerTrace[]) => T | undefined,
): Promise<T> {
  let hit: T | undefined;
  await waitFor(
    what,
    async () => (hit = find(await jaeger.traces(service))) !== undefined,
    90_000,
    500,
  );
  return hit as T;
}

t.test('a kubectl write: the apiserver’s trace continues into the webhook', async (t) => {
  const wh = await startTestWebhook(undefined, { tracing: { endpoint: jaeger.otlpHttp } });
  t.teardown(() => wh.stop());
  await registerWebhooks(cp, wh.url, wh.handle.caBundle());
  t.teardown(async () => {
    await cp.kubectl([
      'delete',
      'validatingwebhookconfigurations,mutatingwebhookconfigurations',
      '--all',
    ]);
  });
  const r = await cp.kubectl([
    'create',
    'deployment',
    'traced',
    '--image=registry.example/web:latest',
    '-n',
    'default',
  ]);
  t.match(r.stderr, '[images/disallow_latest]', 'the library warns');
  const { trace, span } = await found('the admission span', 'driftgate-webhook', (traces) => {
    for (const trace of traces)
      for (const span of trace.spans)
        if (
          span.operationName === 'admission validate' &&
          tag(span, 'k8s.object.name') === 'traced' &&
          // The apiserver exports its spans in batches of its own: wait for its part too.
          trace.spans.some((s) => s.spanID === parentOf(span))
        )
          return { trace, span };
    return undefined;
  });
  t.equal(tag(span, 'k8s.operation'), 'CREATE');
  t.equal(tag(span, 'k8s.kind'), 'Deployment');
  t.equal(tag(span, 'driftgate.allowed'), true);
  t.ok(Number(tag(span, 'driftgate.warnings')) >= 1, 'with warnings');
  const parent = trace.spans.find((s) => s.spanID === parentOf(span));
  t.ok(parent, 'its parent is in the same trace');
  t.equal(
    parent && trace.processes[parent.processID]?.serviceName,
    'apiserver',
    'the parent is the apiserver’s span: W3C trace context crossed',
  );
  const evaluation = trace.spans.find(
    (s) => s.operationName === 'policy evaluation' && parentOf(s) === span.spanID,
  );
  t.ok(evaluation, 'a child span for the policy evaluation');
  t.equal(evaluation && tag(evaluation, 'driftgate.evaluation'), 'ok');
  const violations = (evaluation?.logs ?? []).map(
    (l) => l.fields.find((f) => f.key === 'driftgate.policy')?.value,
  );
  t.ok(violations.includes('images/disallow_latest'), 'the violated policy, as an event');
});

t.test('a sync: one trace, a span per stage, the commit on it', async (t) => {
  const repo = await git.createRepo('shop');
  const sha = await repo.commit(
    { 'apps/settings.yaml': configMap('settings', { a: 'b' }) },
    { signer },
  );
  const rec = await startTestReconciler(cp, [signedSource('shop', repo.url, signer)], {
    tracing: { endpoint: jaeger.otlpHttp },
  });
  t.teardown(() => rec.stop());
  await rec.sync('shop');
  const { trace, root } = await found('the sync trace', 'driftgate-reconciler', (traces) => {
    for (const trace of traces)
      for (const root of trace.spans)
        if (root.operationName === 'sync' && tag(root, 'vcs.ref.head.revision') === sha)
          return { trace, root };
    return undefined;
  });
  t.equal(tag(root, 'driftgate.source'), 'shop');
  t.equal(tag(root, 'driftgate.sync_status'), 'Synced');
  t.equal(parentOf(root), undefined, 'a trace of its own');
  const stages = trace.spans.filter((s) => parentOf(s) === root.spanID).map((s) => s.operationName);
  t.same(
    [...stages].sort(),
    ['apply', 'fetch', 'policies', 'prune', 'render', 'status', 'verify'],
    'fetch → verify → render → policies → apply → prune → status',
  );
});
