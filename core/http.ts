import express from 'express';
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
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.use((_req, res) => void res.status(404).type('text').send('see /metrics\n'));
  return createServer(app);
}
