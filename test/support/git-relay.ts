import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP relay in front of the Git server; `hang` switches it to drip. */
export interface GitRelay {
  /** While true, a new connection gets a Git answer's first bytes, then one byte a second. */
  hang: boolean;
  /** `repoURL` with the Git server's port replaced by the relay's. */
  readonly url: string;
  /** Drip from now on, and cut the connections open now (a kept-alive one would still pass). */
  stall(): void;
  close(): void;
}

/**
 * A relay to the real Git server at `gitPort` for `repoURL`, which the test can make hang: the
 * remote accepts, starts an answer and then drips (not a refusal, not a reset: a stall).
 */
export function gitRelay(gitPort: number, repoURL: string): Promise<GitRelay> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (relay.hang) {
      client.once('data', () => {
        client.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/x-git-upload-pack-advertisement\r\n' +
            'transfer-encoding: chunked\r\n\r\n4\r\nffff\r\n',
        );
        const drip = setInterval(() => client.write('1\r\na\r\n'), 1000);
        client.on('close', () => clearInterval(drip));
      });
      return;
    }
    const upstream = connect(gitPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  const relay = {
    hang: false,
    url: '',
    stall() {
      relay.hang = true;
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      relay.url = repoURL.replace(`:${gitPort}/`, `:${port}/`);
      resolve(relay);
    }),
  );
}
