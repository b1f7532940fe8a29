// A request whose body the webhook does not read (GET /healthz with a body, a 404, a refused
// review) never spoils the kept-alive connection: the next request on the same TLS socket is
// answered (issue 26 finding 15; it did not reproduce here, so every shape is kept as a check).
// Raw TLS sockets, the real HTTPS server.
import t from 'tap';
import { connect } from 'node:tls';
import { startTestWebhook } from '../support/webhook.js';

const wh = await startTestWebhook();
t.teardown(() => wh.stop());

/** Send `first` on a fresh socket, then GET /readyz on the same one; the status lines seen. */
async function twoOnOneSocket(
  first: (write: (s: string) => void) => void | Promise<void>,
): Promise<string[]> {
  const s = connect({ host: '127.0.0.1', port: wh.handle.port, rejectUnauthorized: false });
  await new Promise((r) => s.once('secureConnect', r));
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  s.on('error', () => undefined);
  const statuses = () => got.match(/HTTP\/1\.1 \d+/g) ?? [];
  const waitFor = async (n: number) => {
    for (let i = 0; i < 400 && statuses().length < n && !s.destroyed; i++)
      await new Promise((r) => setTimeout(r, 25));
  };
  await first((x) => s.write(x));
  await waitFor(1);
  s.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(2);
  s.destroy();
  return statuses();
}

const head = (line: string, size: number, type = 'application/json') =>
  `${line} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${size}\r\n\r\n`;

for (const size of [10, 70_000, 2_000_000]) {
  const body = 'x'.repeat(size);
  t.test(`unread bodies of ${size} bytes`, async (t) => {
    t.strictSame(
      await twoOnOneSocket((w) => w(head('GET /healthz', size) + body)),
      ['HTTP/1.1 200', 'HTTP/1.1 200'],
      'GET /healthz with a body',
    );
    t.strictSame(
      await twoOnOneSocket(async (w) => {
        w(head('GET /healthz', size));
        // The answer comes before the body is sent.
        await new Promise((r) => setTimeout(r, 200));
        w(body);
      }),
      ['HTTP/1.1 200', 'HTTP/1.1 200'],
      'the body after the answer',
    );
    t.strictSame(
      await twoOnOneSocket((w) => w(head('POST /nope', size) + body)),
      ['HTTP/1.1 404', 'HTTP/1.1 200'],
      'a 404',
    );
    t.strictSame(
      await twoOnOneSocket((w) => w(head('POST /validate', size, 'text/plain') + body)),
      ['HTTP/1.1 400', 'HTTP/1.1 200'],
      'a refused review',
    );
    t.strictSame(
      await twoOnOneSocket((w) =>
        w(
          `GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${size.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        ),
      ),
      ['HTTP/1.1 200', 'HTTP/1.1 200'],
      'a chunked body',
    );
  });
}
