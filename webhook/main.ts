import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { fromKubeconfig, inCluster, type KubeAccess } from './kube-access.js';
import { accessCheck } from './gitsource-guard.js';
import { LiveIngresses } from './live-ingresses.js';
import type { DesiredIndexDoc, PolicyFilesDoc } from '../core/desired-index.js';
import { composePolicyTree, readPolicyFiles } from '../policies/engine/compose.js';
import { isolationProblems } from '../policies/engine/isolation.js';
import { DesiredState } from './desired-state.js';
import { followFeed } from './feed.js';
import { BundleStore } from '../policies/engine/store.js';
import { watchDirectory } from '../policies/engine/watch.js';
import type { WebhookConfig } from './config.js';
import { makeExemptions } from './exemptions.js';
import { AdmissionMetrics } from './metrics.js';
import { EvalPool } from './engine/pool.js';
import { startWebhookServer } from './server.js';
import { fileCertificateSource } from './tls/file-source.js';
import { generatedCertificateSource } from './tls/generated-source.js';
import type { CertificateSource } from './tls/material.js';

export interface WebhookHandle {
  readonly port: number;
  readonly metricsPort: number;
  readonly store: BundleStore;
  readonly metrics: AdmissionMetrics;
  /** The Git-declared state as last received from the reconciler. */
  readonly desired: DesiredState;
  /** Resolves once the first index and policy fetches were answered (or failed). */
  readonly gitStateFetched: Promise<void>;
  /** PEM CA bundle for caBundle (generated mode; cert-manager's ca.crt in file mode). */
  caBundle(): string;
  close(): Promise<void>;
  /**
   * Leave gracefully (SIGTERM): not ready and `Connection: close` for `delayMs` while the
   * endpoints and kube-proxy catch up, then close (in-flight requests finish).
   */
  shutdown(delayMs: number): Promise<void>;
}

export interface WebhookRuntime {
  readonly logger?: Logger;
  readonly nowMs?: () => number;
  readonly defaultMetrics?: boolean;
}

function certificates(
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
  const pool = new EvalPool({
    size: cfg.evaluationWorkers,
    timeoutMs: cfg.evaluationTimeoutMs,
    maxQueue: 64 * cfg.evaluationWorkers,
    heapMb: 24,
    logger,
    onRestart: (reason) => metrics.engineRestarts.inc({ reason }),
  });
  const store = new BundleStore(
    { opaPath: cfg.opaPath, enforcement: cfg.enforcementOverrides },
    {
      onLoaded: (b) => {
        metrics.bundleSwapped(b.revision, b.policies, nowMs());
        logger.info({ revision: b.revision, policies: b.policies.length }, 'policy bundle loaded');
      },
      // The workers get the bundle before the store swaps it in (see BundleStore.reload).
      beforeSwap: (b) => pool.load(b),
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
  // The live bundle is the local library plus the Git policies the reconciler serves (which it
  // has already built and tested): composed into a fresh tree for every build.
  let gitPolicies: Readonly<Record<string, string>> = {};
  const reload = async (): Promise<boolean> => {
    let tree;
    try {
      const local = readPolicyFiles(cfg.policyDir);
      // The reconciler checked this; a webhook never lets Git files reach into its own library.
      const isolation = isolationProblems(local, new Map([['git', gitPolicies]]));
      if (isolation.length > 0) throw new Error(isolation.join('; '));
      tree = composePolicyTree(join(tmpdir(), 'driftgate-webhook-policies'), [local, gitPolicies]);
    } catch (err) {
      logger.error({ reason: (err as Error).message }, 'cannot compose the policy tree');
      return false;
    }
    try {
      return (await store.reload(tree.dir)).ok;
    } finally {
      tree.remove();
    }
  };
  await reload();
  const watcher = cfg.watchPolicies
    ? watchDirectory(cfg.policyDir, () => void reload())
    : undefined;
  const desired = new DesiredState();
  const feeds = gitFeeds(cfg, logger, metrics, desired, nowMs, async (doc) => {
    const previous = gitPolicies;
    gitPolicies = doc.files;
    if (!(await reload())) {
      gitPolicies = previous;
      throw new Error(`policies ${doc.revision} did not build here; the last good bundle stays`);
    }
  });
  // The apiserver, for the Ingress watch and GitSource reviews (no client library: heap).
  const access =
    cfg.watchIngresses || cfg.guardGitSources
      ? cfg.kubeconfig
        ? fromKubeconfig(cfg.kubeconfig)
        : inCluster()
      : undefined;
  const live =
    access && cfg.watchIngresses ? await liveIngresses(access, logger, metrics) : undefined;
  const certs = certificates(cfg, logger, nowMs, metrics);
  const server = await startWebhookServer({
    host: cfg.host,
    port: cfg.port,
    metricsHost: cfg.metricsHost,
    metricsPort: cfg.metricsPort,
    bodyLimitBytes: cfg.bodyLimitBytes,
    bodyBudgetBytes: cfg.bodyBudgetBytes,
    maxConnections: cfg.maxConnections,
    certificates: certs,
    // Ready only while a bundle is live and some evaluation worker holds it.
    ready: () => store.current !== undefined && pool.healthy,
    logger,
    deps: {
      bundle: () => store.current,
      exemptions: makeExemptions(cfg.namespace, cfg.exemptions),
      metrics,
      logger,
      nowMs,
      evaluate: (json) => pool.evaluate(json),
      failurePolicy: cfg.failurePolicy,
      maxContainersPerPod: cfg.maxContainersPerPod,
      ingresses: () => [desired.ingresses, live?.refs() ?? []],
      ...(access && cfg.guardGitSources ? { gitSourceCheck: accessCheck(access) } : {}),
      ...(cfg.gitState
        ? {
            git: {
              index: desired,
              config: {
                reconciler: cfg.gitState.reconciler,
                breakGlass: {
                  groups: new Set(cfg.gitState.breakGlass.groups),
                  maxDurationMs: cfg.gitState.breakGlass.maxDurationMs,
                },
                governed: {
                  namespaces: new Set(cfg.gitState.governed.namespaces),
                  mode: cfg.gitState.governed.mode,
                },
              },
            },
          }
        : {}),
    },
  });
  logger.info({ port: server.port, metricsPort: server.metricsPort }, 'webhook serving');
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      watcher?.close();
      live?.stop();
      for (const f of feeds) f.close();
      certs.close();
      await server.close();
      await pool.close();
    })());
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    store,
    metrics,
    desired,
    gitStateFetched: Promise.all(feeds.map((f) => f.first)).then(() => undefined),
    caBundle: () => certs.current().caBundlePem,
    close,
    async shutdown(delayMs) {
      server.drain();
      logger.info({ delayMs }, 'draining before shutdown');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await close();
    },
  };
}

/**
 * Start the watch of live Ingress hosts. A first list that fails is logged and retried in the
 * background: the webhook serves meanwhile, checking hosts against Git only.
 */
async function liveIngresses(
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
function gitFeeds(
  cfg: WebhookConfig,
  logger: Logger,
  metrics: AdmissionMetrics,
  desired: DesiredState,
  nowMs: () => number,
  onPolicies: (doc: PolicyFilesDoc) => Promise<void>,
): { first: Promise<void>; close(): void }[] {
  const g = cfg.gitState;
  if (!g) return [];
  const token = (): string => readFileSync(g.tokenFile, 'utf8').trim();
  const common = { token, intervalMs: g.pollIntervalMs, maxBytes: g.maxDocumentBytes, logger };
  return [
    followFeed<DesiredIndexDoc>({
      ...common,
      url: `${g.reconcilerURL}/v1/desired`,
      onDocument: (doc) => {
        if (doc.version !== 1 || !Array.isArray(doc.sources))
          throw new Error('the reconciler sent an index this webhook does not understand');
        desired.load(doc);
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
