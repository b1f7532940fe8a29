// Where a Git remote may be (issue 26 finding 8): the address rules, pure; and the guarded
// client against real sockets on loopback (a name that resolves to a refused address is never
// dialled; an IP literal neither; a refused peer is cut).
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitSource } from '../../reconciler/source/git-source.js';
import { addressProblem, urlProblem } from '../../reconciler/source/net-guard.js';
import { gitErrorMessage } from '../../reconciler/sync/fetch.js';

const open = { privateNetworks: true };
const closed = { privateNetworks: false };

t.test('link-local and metadata never; private ranges as the platform says', async (t) => {
  for (const a of [
    '169.254.169.254',
    '169.254.0.1',
    'fe80::1',
    'fd00:ec2::254',
    '0.0.0.0',
    '::',
    '::ffff:169.254.169.254',
    '224.0.0.1',
  ])
    t.match(addressProblem(a, open), /link-local, metadata or special/, a);
  for (const a of [
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '127.0.0.1',
    '::1',
    'fd12::1',
    '100.64.0.1',
    '::ffff:10.1.2.3',
  ]) {
    t.equal(addressProblem(a, open), undefined, `${a} allowed by default`);
    t.match(addressProblem(a, closed), /private address/, `${a} refused when the platform says so`);
  }
  for (const a of ['140.82.112.3', '2606:50c0::1'])
    t.equal(addressProblem(a, closed), undefined, a);
  t.match(urlProblem('http://169.254.169.254/latest/meta-data/', open), /link-local/);
  t.match(
    urlProblem('http://2852039166/x.git', open),
    /169\.254\.169\.254/,
    'a decimal host is an IP too',
  );
  t.match(urlProblem('http://[fd00:ec2::254]/x.git', open), /fd00:ec2::254/);
  t.equal(
    urlProblem('https://github.com/org/repo.git', closed),
    undefined,
    'a name: checked when resolved',
  );
});

t.test('the guarded client: nothing dialled at a refused address', async (t) => {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end('SECRET-INTERNAL-DATA');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => void server.close());
  const port = (server.address() as AddressInfo).port;
  const source = (url: string, privateNetworks: boolean) =>
    new GitSource({
      url,
      ref: 'main',
      cacheDir: t.testdir(),
      timeoutMs: 10_000,
      remote: { privateNetworks },
    });
  await t.rejects(source(`http://localhost:${port}/x.git`, false).remoteHead(), {
    name: 'RemoteRefused',
    message: /localhost resolves to .* is a private address/,
  });
  await t.rejects(source(`http://127.0.0.1:${port}/x.git`, false).remoteHead(), {
    name: 'RemoteRefused',
    message: /127\.0\.0\.1 is a private address/,
  });
  t.equal(hits, 0, 'the server never saw a request');
  const err = await source(`http://127.0.0.1:${port}/x.git`, true)
    .remoteHead()
    .catch((e: unknown) => e);
  t.equal(hits, 1, 'allowed: dialled');
  t.equal(
    gitErrorMessage(err),
    'the remote did not answer as a Git server (smart HTTP); its answer is not shown',
  );
  t.equal(
    gitErrorMessage({
      code: 'HttpError',
      data: { statusCode: 401, statusMessage: 'Unauthorized\r\nX: y' },
    }),
    'HTTP 401 UnauthorizedX: y',
  );
});
