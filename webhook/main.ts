import { DenialEvents } from './denial-events.js';
import type { Logger } from 'pino';
import { makeLogger } from '../core/logger.js';
import { accessCheck } from './gitsource-guard.js';
import { inventoryFeed } from './inventory-feed.js';
import { apiAccess, certificates, gitFeeds, liveIngresses } from './wiring.js';
import { PolicyTree } from './policy-tree.js';
import { DesiredState } from './desired-state.js';
import { BundleStore } from '../policies/engine/store.js';
import { watchDirectory } from '../policies/engine/watch.js';
import type { WebhookConfig } from './config.js';
import { makeExemptions } from './exemptions.js';
import { AdmissionMetrics } from './metrics.js';
import { EvalPool } from '../policies/engine/pool/pool.js';
import { TenantBreaker } from './tenant-breaker.js';
import { startWebhookServer } from './server.js';
import { Tracer } from '../core/tracing.js';

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
  /** Policy files left out of the live bundle because they broke its build. */
  refusedPolicies(): readonly string[];
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

/**
 * Start the admission webhook from a parsed config: certificates, metrics, the policy bundle
 * (first load awaited; a bad first load leaves the server up but not ready), the directory
 * watch, and the HTTPS server. Throws when a port or the certificate files cannot be used.
 */
export async function startWebhook(
  cfg: WebhookConfig,
  rt: WebhookRuntime = {},
): Promise<WebhookHandle> {
  const logger = rt.logger ?? makeLogger('webhook', cfg.logLevel);
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
  // The apiserver (Ingress watch, GitSource reviews, inventory), and Git-declared state.
  const access = apiAccess(cfg);
  const desired = new DesiredState();
  const denials =
    access && cfg.denialEvents
      ? new DenialEvents({ access, namespace: cfg.namespace, logger })
      : undefined;
  const inventory = inventoryFeed({
    access: cfg.inventory.watch ? access : undefined,
    config: cfg.inventory,
    desired,
    logger,
    publish: (json, inv) => {
      pool.setInventory(json);
      store.current?.setInventory(inv);
    },
    onSize: (n) => metrics.inventoryObjects.set(n),
    onError: () => metrics.inventoryWatchErrors.inc(),
  });
  const store = new BundleStore(
    { opaPath: cfg.opaPath, opaBuiltins: cfg.opaBuiltins, enforcement: cfg.enforcementOverrides },
    {
      // Fed by the reconciler, which ran the templates' suites; alone, the webhook runs them.
      runSuites: cfg.gitState === undefined,
      onLoaded: (b) => {
        metrics.bundleSwapped(b.revision, b.policies, nowMs());
        inventory.bundleChanged(b);
        logger.info({ revision: b.revision, policies: b.policies.length }, 'policy bundle loaded');
        for (const conflict of b.built.mutatorConflicts ?? [])
          logger.warn({ revision: b.revision, conflict }, 'mutator not applied: schema conflict');
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
  const tree = new PolicyTree(cfg.policyDir, store, logger);
  const reload = (): Promise<boolean> => tree.reload();
  await reload();
  const watcher = cfg.watchPolicies
    ? watchDirectory(cfg.policyDir, () => void reload())
    : undefined;
  const feeds = gitFeeds(
    cfg,
    logger,
    metrics,
    desired,
    nowMs,
    () => inventory.indexChanged(),
    async (doc) => {
      if (!(await tree.setGit(doc.files)))
        throw new Error(`policies ${doc.revision} did not build here; the last good bundle stays`);
    },
  );
  const live =
    access && cfg.watchIngresses ? await liveIngresses(access, logger, metrics) : undefined;
  const certs = certificates(cfg, logger, nowMs, metrics);
  const tracer = new Tracer({
    ...cfg.tracing,
    service: 'driftgate-webhook',
    onDrop: (n) => metrics.spansDropped.inc(n),
    onError: (reason) => logger.warn({ reason }, 'spans not exported'),
  });
  const server = await startWebhookServer({
    tracer,
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
      ...(denials ? { onDenied: (r, m) => denials.denied(r, m) } : {}),
      bundle: () => store.current,
      policiesExpected: () => tree.expected,
      exemptions: makeExemptions(cfg.namespace, cfg.exemptions),
      metrics,
      logger,
      nowMs,
      evaluate: (json) => pool.evaluate(json),
      tenantBreaker: new TenantBreaker({
        now: nowMs,
        // A tenant never holds every worker; its turn waits at most one deadline.
        maxInFlight: Math.max(1, cfg.evaluationWorkers - 1),
        waitMs: cfg.evaluationTimeoutMs,
      }),
      failurePolicy: cfg.failurePolicy,
      maxContainersPerPod: cfg.maxContainersPerPod,
      ingresses: () => [desired.ingresses, live?.refs() ?? []],
      namespaceLabels: (ns) => inventory.namespaceLabels(ns),
      namespaceObject: (ns) => inventory.namespaceObject(ns),
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
      denials?.close();
      live?.stop();
      inventory.stop();
      for (const f of feeds) f.close();
      certs.close();
      await server.close();
      await pool.close();
      await tracer.close();
    })());
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    store,
    metrics,
    desired,
    gitStateFetched: Promise.all(feeds.map((f) => f.first)).then(() => undefined),
    caBundle: () => certs.current().caBundlePem,
    refusedPolicies: () => tree.refused,
    close,
    async shutdown(delayMs) {
      server.drain();
      logger.info({ delayMs }, 'draining before shutdown');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await close();
    },
  };
}
