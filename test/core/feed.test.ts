import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { followFeed, type FeedOptions } from '../../core/feed.js';
import { waitFor } from '../support/processes.js';

// The webhook's follower of the reconciler's feed, against a real HTTP server on loopback that
// plays the reconciler's part (the reconciler itself serves it in test/e2e/git-state.e2e.test.ts).
let mode: 'ok' | 'down' | 'missing' | 'follower' | 'big' | 'big-chunked' = 'ok';
const LIMIT = 64 * 1024;
let version = 1;
const seen: IncomingMessage['headers'][] = [];
const server = createServer((req, res) => {
  seen.push(req.headers);
  if (mode === 'down') return void res.writeHead(502).end('reconciler restarting');
  if (mode === 'missing') return void res.writeHead(404).end('{}');
  if (mode === 'follower') return void res.writeHead(503).end('{"error":"not the leader"}');
  if (mode === 'big' || mode === 'big-chunked') {
    const body = JSON.stringify({ version: 99, pad: 'x'.repeat(LIMIT) });
    if (mode === 'big') res.setHeader('content-length', Buffer.byteLength(body));
    // Chunked: the size is known only from the bytes, which stop being read past the limit.
    return void res.end(body);
  }
  const tag = `"v${version}"`;
  res.setHeader('etag', tag);
  if (req.headers['if-none-match'] === tag) return void res.writeHead(304).end();
  res.end(JSON.stringify({ version }));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
t.teardown(() => server.close());
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/desired`;
/** followFeed against this server, polling every 20 ms, with the test's size limit. */
const follow = <T>(
  o: Pick<FeedOptions<T>, 'onDocument' | 'onError'> & Partial<FeedOptions<T>>,
): ReturnType<typeof followFeed<T>> =>
  followFeed<T>({
    url,
    token: () => 'tok',
    intervalMs: 20,
    maxBytes: LIMIT,
    logger: pino({ level: 'silent' }),
    ...o,
  });

t.test(
  'takes a new document, skips unchanged ones, keeps the last when the server is away',
  async (t) => {
    const docs: number[] = [];
    const errors: string[] = [];
    let contacts = 0;
    const f = follow<{ version: number }>({
      onDocument: (d) => void docs.push(d.version),
      onContact: () => void contacts++,
      onError: (e) => void errors.push(e),
    });
    t.teardown(() => f.close());
    await f.first;
    t.same(docs, [1]);
    await waitFor('a few polls', async () => contacts >= 4, 5000, 10);
    t.same(docs, [1], 'not modified: not taken again');
    t.equal(seen.at(-1)?.authorization, 'Bearer tok');
    t.equal(seen.at(-1)?.['if-none-match'], '"v1"');

    mode = 'down';
    await waitFor('errors counted', async () => errors.length >= 2, 5000, 10);
    t.match(errors[0], 'HTTP 502: reconciler restarting');
    t.same(docs, [1], 'the last document stays');

    mode = 'ok';
    version = 2;
    await waitFor('recovery', async () => docs.length === 2, 5000, 10);
    t.same(docs, [1, 2]);
  },
);

t.test('a document the consumer refuses counts as an error and is fetched again', async (t) => {
  mode = 'ok';
  let calls = 0;
  const errors: string[] = [];
  const f = follow<{ version: number }>({
    onDocument: () => {
      calls++;
      if (calls === 1) throw new Error('did not build here');
    },
    onError: (e) => void errors.push(e),
  });
  t.teardown(() => f.close());
  await waitFor('a retry', async () => calls >= 2, 5000, 10);
  t.same(errors, ['did not build here']);
});

t.test('503 (a follower replica) keeps the last document and is not an error', async (t) => {
  mode = 'follower';
  const errors: string[] = [];
  const f = follow({
    onDocument: () => void t.fail('no document'),
    onError: (e) => void errors.push(e),
  });
  t.teardown(() => f.close());
  const before = seen.length;
  await waitFor('polls', async () => seen.length >= before + 3, 5000, 10);
  t.same(errors, []);
});

t.test('404 (nothing published yet) is not an error', async (t) => {
  mode = 'missing';
  const errors: string[] = [];
  let contacts = 0;
  const f = follow({
    onDocument: () => void t.fail('no document'),
    onContact: () => void contacts++,
    onError: (e) => void errors.push(e),
  });
  t.teardown(() => f.close());
  await waitFor('polls', async () => contacts >= 2, 5000, 10);
  t.same(errors, []);
});

t.test('a document over maxBytes is refused before parsing; the last one stays', async (t) => {
  mode = 'ok';
  version = 7;
  const docs: number[] = [];
  const errors: string[] = [];
  const f = follow<{ version: number }>({
    onDocument: (d) => void docs.push(d.version),
    onError: (e) => void errors.push(e),
  });
  t.teardown(() => f.close());
  await f.first;
  for (const big of ['big', 'big-chunked'] as const) {
    mode = big;
    const before = errors.length;
    await waitFor(`${big} refused`, async () => errors.length > before, 5000, 10);
    t.equal(
      errors.at(-1),
      `the document is over the ${LIMIT}-byte limit (maxDocumentMiB)`,
      `${big}: refused with the reason`,
    );
  }
  t.same(docs, [7], 'nothing over the limit was taken; the last document stays');
  mode = 'ok';
  version = 8;
  await waitFor('a document within the limit again', async () => docs.length === 2, 5000, 10);
  t.same(docs, [7, 8]);
});
