import express, { type Request, type Response } from 'express';
import { createServer as createHttpsServer } from 'node:https';
import { closeGracefully, closeServer, listen, metricsServer } from '../core/http.js';
import type { Logger } from 'pino';
import { Endpoint } from './decide.js';
import { BadReviewError } from './errors.js';
import { handleRequest, type HandlerDeps } from './handler.js';
import { errored } from './responses.js';
import type { JsonLimits } from './json-limits.js';
import {
  BodyBudget,
  decodeReview,
  encodeReview,
  overloaded,
  readBody,
  sendBadRequest,
} from './review.js';
import type { CertificateSource } from './tls/material.js';
import { TRACING_OFF, type Tracer } from '../core/tracing.js';
import { admissionSpan, decided, tracedDeps } from './tracing.js';

export interface WebhookServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly bodyLimitBytes: number;
  /** Request body bytes held at once across all requests. @default 16 MiB (see parseWeight) */
  readonly bodyBudgetBytes?: number;
  readonly jsonLimits?: JsonLimits;
  /** Open connections at once. @default 512 */
  readonly maxConnections?: number;
  readonly certificates: CertificateSource;
  readonly deps: HandlerDeps;
  /** Spans of admission requests. @default off */
  readonly tracer?: Tracer;
  readonly ready: () => boolean;
  readonly logger: Logger;
}

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number;
  /**
   * Start draining: /readyz answers 503 (the pod leaves the Service's endpoints) and every answer
   * carries `Connection: close`, so the apiserver's kept-alive connections move to other pods.
   */
  drain(): void;
  /** Stop: idle connections close at once, in-flight requests get up to 5 s to finish. */
  close(): Promise<void>;
}

function review(endpoint: Endpoint, o: WebhookServerOptions, budget: BodyBudget) {
  return async (req: Request, res: Response): Promise<void> => {
    const timer = o.deps.metrics.duration.startTimer({ endpoint });
    let uid: string | undefined;
    let held = 0;
    // Held bytes (the body and, roughly, what was parsed from it) are released once answered.
    res.once('close', () => budget.release(held));
    try {
      const body = await readBody(req, o.bodyLimitBytes, budget, (n) => (held += n));
      const decoded = decodeReview(req.headers['content-type'], body, o.jsonLimits, (n) => {
        if (!budget.take(n, held)) throw overloaded();
        held += n;
      });
      uid = decoded.request.uid;
      const span = admissionSpan(
        o.tracer ?? TRACING_OFF,
        req.headers.traceparent,
        endpoint,
        decoded.request,
      );
      try {
        const answer = await handleRequest(decoded.request, endpoint, tracedDeps(o.deps, span));
        decided(span, answer);
        if (!answer.allowed) o.deps.onDenied?.(decoded.request, answer.status?.message ?? '');
        res.json(encodeReview(answer));
      } finally {
        span.end();
      }
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

/**
 * TLS 1.2+ with forward-secret AEAD suites only (TLS 1.3's suites all are). The ECDSA suites
 * serve cert-manager ECDSA keys; the RSA ones the generated key.
 */
export const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;

/**
 * Start the admission HTTPS server (TLS ≥ 1.2; certificates swapped without a restart for new
 * connections, in-flight ones finish on the old) and the plain-HTTP metrics server.
 */
export async function startWebhookServer(o: WebhookServerOptions): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  const budget = new BodyBudget(o.bodyBudgetBytes ?? 16 * 1024 * 1024);
  let draining = false;
  app.use((_req, res, next) => {
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  app.post('/validate', review(Endpoint.validate, o, budget));
  app.post('/mutate', review(Endpoint.mutate, o, budget));
  app.get('/healthz', (_req, res) => void res.type('text').send('ok'));
  app.get(
    '/readyz',
    (_req, res) =>
      void (draining
        ? res.status(503).type('text').send('shutting down')
        : o.ready()
          ? res.type('text').send('ok')
          : res.status(503).type('text').send('policy engine not ready')),
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
    {
      cert: material.certPem,
      key: material.keyPem,
      ...TLS_POLICY,
      // A connection that never finishes its handshake, headers or body is closed, not kept.
      handshakeTimeout: 5_000,
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 30_000,
    },
    app,
  );
  https.maxConnections = o.maxConnections ?? 512;
  o.certificates.onChange((m) => {
    https.setSecureContext({ cert: m.certPem, key: m.keyPem, ...TLS_POLICY });
    o.deps.metrics.certExpiry.set(m.notAfter.getTime() / 1000);
    o.logger.info({ notAfter: m.notAfter.toISOString() }, 'serving certificate reloaded');
  });
  const metrics = metricsServer(o.deps.metrics.registry);
  const port = await listen(https, o.host, o.port);
  const metricsPort = await listen(metrics, o.metricsHost, o.metricsPort);
  return {
    port,
    metricsPort,
    drain() {
      // Idle keep-alive connections are left open: the apiserver may be writing a request on
      // one right now, and closing it under that write fails the request (a POST is not
      // retried). Each is closed by its next answer (`Connection: close`) or at the final close.
      draining = true;
    },
    async close() {
      await Promise.all([closeGracefully(https, 5_000), closeServer(metrics)]);
    },
  };
}
