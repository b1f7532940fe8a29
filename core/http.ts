import { createServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

type AnyServer = HttpServer | HttpsServer;

/** Listen on host:port (0: any free port); resolves with the port. Rejects when it cannot bind. */
export const listen = (server: AnyServer, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

/** Close a server and every connection it holds. */
export const closeServer = (server: AnyServer): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** Close `server`: idle connections at once, in-flight requests get up to `graceMs` to finish. */
export const closeGracefully = (server: AnyServer, graceMs: number): Promise<void> =>
  new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });

/** A plain-HTTP server answering GET /metrics from `registry`, 404 for anything else. */
export function metricsServer(registry: Registry): HttpServer {
  return createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      void registry.metrics().then((text) => {
        res.setHeader('content-type', registry.contentType);
        res.end(text);
      });
      return;
    }
    res.statusCode = 404;
    res.end('see /metrics\n');
  });
}
