import { pino, type Logger } from 'pino';
import { BundleStore } from '../policies/engine/store.js';
import { watchDirectory } from '../policies/engine/watch.js';
import type { WebhookConfig } from './config.js';
import { makeExemptions } from './exemptions.js';
import { AdmissionMetrics } from './metrics.js';
import { startWebhookServer } from './server.js';
import { fileCertificateSource } from './tls/file-source.js';
import { generatedCertificateSource } from './tls/generated-source.js';
import type { CertificateSource } from './tls/material.js';

export interface WebhookHandle {
  readonly port: number;
  readonly metricsPort: number;
  readonly store: BundleStore;
  readonly metrics: AdmissionMetrics;
  /** PEM CA bundle for caBundle (generated mode; cert-manager's ca.crt in file mode). */
  caBundle(): string;
  close(): Promise<void>;
}

export interface WebhookRuntime {
  readonly logger?: Logger;
  readonly nowMs?: () => number;
  readonly defaultMetrics?: boolean;
}

function certificates(cfg: WebhookConfig, logger: Logger, nowMs: () => number): CertificateSource {
  if (cfg.tls.mode === 'files') {
    return fileCertificateSource({
      ...cfg.tls,
      onError: (err) => logger.warn({ reason: err.message }, 'ignoring unusable certificate files'),
    });
  }
  return generatedCertificateSource({
    dir: cfg.tls.dir,
    dnsNames: cfg.tls.dnsNames,
    ipAddresses: cfg.tls.ipAddresses,
    nowMs,
  });
}

/**
 * Start the admission webhook from a parsed config: certificates, metrics, the policy bundle
 * (first load awaited; a bad first load leaves the server up but not ready), the directory
 * watch, and the HTTPS server. Throws when a port or the certificate files cannot be used.
 */
export async function startWebhook(
  cfg: WebhookConfig,
  rt: WebhookRuntime = {},
): Promise<WebhookHandle> {
  const logger = rt.logger ?? pino({ level: cfg.logLevel, base: { component: 'webhook' } });
  const nowMs = rt.nowMs ?? Date.now;
  const metrics = new AdmissionMetrics({ defaultMetrics: rt.defaultMetrics ?? true });
  const store = new BundleStore(
    { opaPath: cfg.opaPath },
    {
      onLoaded: (b) => {
        metrics.bundleSwapped(b.revision, b.policies, nowMs());
        logger.info({ revision: b.revision, policies: b.policies.length }, 'policy bundle loaded');
      },
      onLoadError: (e) => {
        metrics.bundleLoadErrors.inc({ stage: e.stage });
        logger.error(
          { stage: e.stage, reason: e.message },
          'policy bundle refused; last good bundle stays',
        );
      },
    },
    nowMs,
  );
  await store.reload(cfg.policyDir);
  const watcher = cfg.watchPolicies
    ? watchDirectory(cfg.policyDir, () => void store.reload(cfg.policyDir))
    : undefined;
  const certs = certificates(cfg, logger, nowMs);
  const server = await startWebhookServer({
    host: cfg.host,
    port: cfg.port,
    metricsHost: cfg.metricsHost,
    metricsPort: cfg.metricsPort,
    bodyLimitBytes: cfg.bodyLimitBytes,
    certificates: certs,
    ready: () => store.current !== undefined,
    logger,
    deps: {
      bundle: () => store.current,
      exemptions: makeExemptions(cfg.namespace, cfg.exemptions),
      overrides: cfg.enforcementOverrides,
      metrics,
      logger,
    },
  });
  logger.info({ port: server.port, metricsPort: server.metricsPort }, 'webhook serving');
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    store,
    metrics,
    caBundle: () => certs.current().caBundlePem,
    async close() {
      watcher?.close();
      certs.close();
      await server.close();
    },
  };
}
