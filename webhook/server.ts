import express, { type Request, type Response } from 'express';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Endpoint } from './decide.js';
import { BadReviewError } from './errors.js';
import { handleRequest, type HandlerDeps } from './handler.js';
import { errored } from './responses.js';
import { decodeReview, encodeReview, readBody, sendBadRequest } from './review.js';
import type { CertificateSource } from './tls/material.js';

export interface WebhookServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly bodyLimitBytes: number;
  readonly certificates: CertificateSource;
  readonly deps: HandlerDeps;
  readonly ready: () => boolean;
  readonly logger: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

function review(endpoint: Endpoint, o: WebhookServerOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    const timer = o.deps.metrics.duration.startTimer({ endpoint });
    let uid: string | undefined;
    try {
      const body = await readBody(req, o.bodyLimitBytes);
      const decoded = decodeReview(req.headers['content-type'], body);
      uid = decoded.request.uid;
      res.json(encodeReview(handleRequest(decoded.request, endpoint, o.deps)));
    } catch (err) {
      if (err instanceof BadReviewError) {
        o.deps.metrics.badRequests.inc({ code: err.code });
        o.logger.info({ code: err.code, reason: err.message, endpoint }, 'bad admission request');
        sendBadRequest(res, err);
      } else if (uid !== undefined) {
        // Keep the uid contract even on internal errors: answer a 500 status inside a valid review.
        o.logger.error({ err, uid, endpoint }, 'admission handler failed');
        res.json(
          encodeReview(
            errored(uid, 'driftgate could not evaluate this request; see the webhook logs'),
          ),
        );
      } else {
        o.logger.error({ err, endpoint }, 'admission request failed before decoding');
        res.status(500).json({ error: 'WEBHOOK_INTERNAL', message: 'internal error' });
      }
    } finally {
      timer();
    }
  };
}

const listen = (server: HttpServer | HttpsServer, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

const close = (server: HttpServer | HttpsServer): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * Start the admission HTTPS server (TLS ≥ 1.2; certificates swapped without a restart for new
 * connections, in-flight ones finish on the old) and the plain-HTTP metrics server.
 */
export async function startWebhookServer(o: WebhookServerOptions): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  app.post('/validate', review(Endpoint.validate, o));
  app.post('/mutate', review(Endpoint.mutate, o));
  app.get('/healthz', (_req, res) => void res.type('text').send('ok'));
  app.get(
    '/readyz',
    (_req, res) =>
      void (o.ready()
        ? res.type('text').send('ok')
        : res.status(503).type('text').send('no policy bundle loaded')),
  );
  app.use(
    (_req, res) =>
      void res.status(404).json({
        error: 'WEBHOOK_NOT_FOUND',
        message: 'routes: POST /validate, POST /mutate, GET /healthz, GET /readyz',
      }),
  );

  const material = o.certificates.current();
  o.deps.metrics.certExpiry.set(material.notAfter.getTime() / 1000);
  const https = createHttpsServer(
    { cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.2' },
    app,
  );
  o.certificates.onChange((m) => {
    https.setSecureContext({ cert: m.certPem, key: m.keyPem, minVersion: 'TLSv1.2' });
    o.deps.metrics.certExpiry.set(m.notAfter.getTime() / 1000);
    o.logger.info({ notAfter: m.notAfter.toISOString() }, 'serving certificate reloaded');
  });
  const metrics = createHttpServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      void o.deps.metrics.registry.metrics().then((text) => {
        res.setHeader('content-type', o.deps.metrics.registry.contentType);
        res.end(text);
      });
      return;
    }
    res.statusCode = 404;
    res.end('see /metrics\n');
  });
  const port = await listen(https, o.host, o.port);
  const metricsPort = await listen(metrics, o.metricsHost, o.metricsPort);
  return {
    port,
    metricsPort,
    async close() {
      await Promise.all([close(https), close(metrics)]);
    },
  };
}
