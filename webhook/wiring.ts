// The webhook's parts that reach outside: certificates, the apiserver, the reconciler's feeds.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DesiredIndexDoc, PolicyFilesDoc } from '../core/desired-index.js';
import type { WebhookConfig } from './config.js';
import type { DesiredState } from './desired-state.js';
import { followFeed } from '../core/feed.js';
import { fromKubeconfig, inCluster, type KubeAccess } from './kube-access.js';
import { LiveIngresses } from './live-ingresses.js';
import type { AdmissionMetrics } from './metrics.js';
import { fileCertificateSource } from './tls/file-source.js';
import { generatedCertificateSource } from './tls/generated-source.js';
import type { CertificateSource } from './tls/material.js';

export function certificates(
  cfg: WebhookConfig,
  logger: Logger,
  nowMs: () => number,
  metrics: AdmissionMetrics,
): CertificateSource {
  if (cfg.tls.mode === 'files') {
    return fileCertificateSource({
      ...cfg.tls,
      onError: (err) => {
        metrics.certReloadErrors.inc();
        logger.warn({ reason: err.message }, 'ignoring unusable certificate files');
      },
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
 * Start the watch of live Ingress hosts. A first list that fails is logged and retried in the
 * background: the webhook serves meanwhile, checking hosts against Git only.
 */
export async function liveIngresses(
  access: KubeAccess,
  logger: Logger,
  metrics: AdmissionMetrics,
): Promise<LiveIngresses> {
  const live = new LiveIngresses(
    access,
    logger,
    () => metrics.ingressWatchErrors.inc(),
    (n) => metrics.liveIngresses.set(n),
  );
  // A first list that fails is retried in the background (start() scheduled it).
  await live.start().catch(() => undefined);
  return live;
}

/** Follow the reconciler's desired-state index and Git policies (when gitState is configured). */
export function gitFeeds(
  cfg: WebhookConfig,
  logger: Logger,
  metrics: AdmissionMetrics,
  desired: DesiredState,
  nowMs: () => number,
  onIndex: () => void,
  onPolicies: (doc: PolicyFilesDoc) => Promise<void>,
): { first: Promise<void>; close(): void }[] {
  const g = cfg.gitState;
  if (!g) return [];
  const token = (): string => readFileSync(g.tokenFile, 'utf8').trim();
  const common = { token, intervalMs: g.pollIntervalMs, maxBytes: g.maxDocumentBytes, logger };
  return [
    followFeed<DesiredIndexDoc>({
      ...common,
      url: `${g.reconcilerURL}/v1/desired${g.cluster ? `?cluster=${encodeURIComponent(g.cluster)}` : ''}`,
      onDocument: (doc) => {
        if (doc.version !== 1 || !Array.isArray(doc.sources))
          throw new Error('the reconciler sent an index this webhook does not understand');
        desired.load(doc);
        onIndex();
        metrics.indexObjects.set(desired.size);
        logger.info(
          { generation: doc.generation, objects: desired.size },
          'desired-state index loaded',
        );
      },
      onContact: () => {
        metrics.indexUpdated.set(nowMs() / 1000);
        metrics.feedContact.set({ feed: 'desired' }, nowMs() / 1000);
      },
      onError: () => metrics.feedErrors.inc({ feed: 'desired' }),
    }),
    followFeed<PolicyFilesDoc>({
      ...common,
      url: `${g.reconcilerURL}/v1/policies`,
      onDocument: onPolicies,
      onContact: () => metrics.feedContact.set({ feed: 'policies' }, nowMs() / 1000),
      onError: () => metrics.feedErrors.inc({ feed: 'policies' }),
    }),
  ];
}

/**
 * The apiserver, for the Ingress watch, GitSource reviews, the inventory and denial Events (no
 * client library: heap); undefined when none of them is on.
 */
export function apiAccess(cfg: WebhookConfig): KubeAccess | undefined {
  if (!cfg.watchIngresses && !cfg.guardGitSources && !cfg.inventory.watch && !cfg.denialEvents)
    return undefined;
  return cfg.kubeconfig ? fromKubeconfig(cfg.kubeconfig) : inCluster();
}
