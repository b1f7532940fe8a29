// The tracer against a local HTTP endpoint standing in for an OTLP/HTTP collector (the e2e in
// test/e2e/traces.e2e.test.ts uses a real Jaeger): W3C trace context in and out, the span tree in
// OTLP JSON, a bounded queue that drops and counts, a refused export counted, and tracing off
// recording nothing.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import { closeServer, listen } from '../../core/http.js';
import { parseTraceparent, Tracer, TRACING_OFF } from '../../core/tracing.js';

async function collector(t: Test, status = 200) {
  const bodies: { path: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: JSON.parse(b) as Record<string, unknown> });
      res.writeHead(status).end('{}');
    });
  });
  const port = await listen(server, '127.0.0.1', 0);
  t.teardown(() => closeServer(server));
  return { bodies, url: `http://127.0.0.1:${port}` };
}

type OtlpSpan = Record<string, unknown> & { name: string; spanId: string; traceId: string };
const spansOf = (body: Record<string, unknown>) =>
  (body as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap(
    (r) => r.scopeSpans.flatMap((s) => s.spans),
  );

t.test('traceparent: W3C version 00 only, never all zeros', async (t) => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  t.same(parseTraceparent(tp), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
  });
  for (const bad of [
    undefined,
    ['x'],
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    `00-${'a'.repeat(5000)}`,
  ])
    t.equal(parseTraceparent(bad), undefined, String(bad).slice(0, 40));
});

t.test('a span tree in OTLP JSON, a child of the caller’s trace', async (t) => {
  const c = await collector(t);
  const tracer = new Tracer({ endpoint: c.url, service: 'driftgate-test', batchMs: 60_000 });
  const parent = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  const root = tracer.start('admission validate', {
    kind: 'server',
    ...(parent ? { parent } : {}),
    attributes: {
      'k8s.kind': 'Pod',
      'k8s.dry_run': false,
      count: 3,
      ratio: 0.5,
      skipped: undefined,
    },
  });
  const child = root
    .child('policy evaluation')
    .event('policy violation', { 'driftgate.policy': 'p/x' });
  child.fail('evaluation timeout').end();
  root.end();
  root.end();
  await tracer.close();
  t.equal(c.bodies.length, 1);
  t.equal(c.bodies[0]?.path, '/v1/traces');
  const [first, second] = spansOf(c.bodies[0]?.body ?? {});
  t.match(c.bodies[0]?.body, {
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: 'driftgate-test' } }],
        },
      },
    ],
  });
  t.match(first, {
    name: 'policy evaluation',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    parentSpanId: root.context.spanId,
    kind: 1,
    status: { code: 2, message: 'evaluation timeout' },
    events: [
      {
        name: 'policy violation',
        attributes: [{ key: 'driftgate.policy', value: { stringValue: 'p/x' } }],
      },
    ],
  });
  t.match(second, {
    name: 'admission validate',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    parentSpanId: '00f067aa0ba902b7',
    kind: 2,
    status: { code: 1 },
  });
  t.same(second?.attributes, [
    { key: 'k8s.kind', value: { stringValue: 'Pod' } },
    { key: 'k8s.dry_run', value: { boolValue: false } },
    { key: 'count', value: { intValue: '3' } },
    { key: 'ratio', value: { doubleValue: 0.5 } },
  ]);
  t.ok(
    BigInt(second?.endTimeUnixNano as string) >= BigInt(second?.startTimeUnixNano as string),
    'a span never ends before it starts',
  );
  t.equal(root.traceparent, `00-4bf92f3577b34da6a3ce929d0e0e4736-${root.context.spanId}-01`);
});

t.test('bounded: past the queue spans are dropped and counted; a refused export too', async (t) => {
  const c = await collector(t, 503);
  let dropped = 0;
  const errors: string[] = [];
  const tracer = new Tracer({
    endpoint: c.url,
    service: 's',
    maxQueue: 3,
    batchMs: 60_000,
    onDrop: (n) => (dropped += n),
    onError: (e) => errors.push(e),
  });
  for (let i = 0; i < 5; i++) tracer.start(`s${i}`).end();
  t.equal(dropped, 2, 'two past the queue');
  await tracer.close();
  t.equal(dropped, 5, 'and the three the collector refused');
  t.same(errors, ['HTTP 503']);
});

t.test('tracing off: nothing is kept or sent', async (t) => {
  const s = TRACING_OFF.start('x', { attributes: { a: 'b' } });
  s.child('y').end();
  s.end();
  t.equal(TRACING_OFF.enabled, false);
  t.same(s.toOtlp().attributes, [], 'the shared no-op span holds nothing');
  const sampledOut = new Tracer({ endpoint: 'http://127.0.0.1:9', service: 's', sampleRatio: 0 });
  t.equal(sampledOut.start('z').toOtlp().name, 'off', 'a ratio of 0 keeps no new trace');
  await sampledOut.close();
});

t.test(
  'a collector that never answers holds nothing: spans end at once, export gives up',
  async (t) => {
    const hanging = createServer(() => undefined);
    const port = await listen(hanging, '127.0.0.1', 0);
    t.teardown(() => closeServer(hanging));
    let dropped = 0;
    const errors: string[] = [];
    const tracer = new Tracer({
      endpoint: `http://127.0.0.1:${port}`,
      service: 's',
      batchMs: 10,
      timeoutMs: 300,
      onDrop: (n) => (dropped += n),
      onError: (e) => errors.push(e),
    });
    // Ending a span is synchronous: nothing awaits the collector.
    for (let i = 0; i < 3000; i++) tracer.start(`s${i}`).end();
    t.equal(dropped, 3000 - 2048, 'what the queue cannot hold is dropped at once');
    await tracer.close();
    t.equal(dropped, 3000, 'every span the collector never took is counted');
    t.match(errors[0], 'no answer within 300 ms');
  },
);
