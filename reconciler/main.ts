import { Notifier } from './notify/notifier.js';
import { Tracer } from '../core/tracing.js';
import type { NotifyEvent } from './notify/payloads.js';
import { readFileSync } from 'node:fs';
import { makeLogger } from '../core/logger.js';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { selfSubject } from './kube/self-subject.js';
import { LeaderElector } from './runtime/leader.js';
import { labelLeader } from './runtime/leader-label.js';
import { IngressInventory } from './policy/ingress-inventory.js';
import { GateInventory } from './policy/gate-inventory.js';
import { PolicyHub } from './policy/hub.js';
import { GatePool } from './policy/gate-pool.js';
import type { PolicyBundle } from '../policies/engine/bundle.js';
import type { Logger } from 'pino';
import type { Cluster } from './kube/port.js';
import { clusterOver } from './kube/cluster.js';
import { kubeHttp } from './kube/http.js';
import { denialsFeed } from './kube/denials.js';
import { KubeObjects } from './kube/objects.js';
import { sharedAgentCopy } from './kube/kubeconfig.js';
import type { ReconcilerConfig } from './config/config.js';
import { ReconcilerMetrics } from './metrics.js';
import { ReconcilerRuntime } from './runtime/runtime.js';
import { kubeWatch } from './kube/watch.js';
import { startStatusServer } from './server/server.js';
import { kubernetesControlAuth, kubernetesUserAuth } from './server/control-auth.js';
import type { SourceReconciler } from './source-reconciler.js';
import { sourceFactory } from './source-factory.js';
import { GitSourceController } from './gitsource/controller.js';
import { shardsOf, type Shards } from './shards.js';

export interface ReconcilerHandle {
  readonly runtime: ReconcilerRuntime;
  readonly hub: PolicyHub;
  readonly metrics: ReconcilerMetrics;
  readonly port: number;
  readonly metricsPort: number;
  /** Whether this replica reconciles (always, without leader election). */
  leading(): boolean;
  /** Stop; without release, leave the Leases to expire (as a replica that dies would). */
  close(release?: boolean): Promise<void>;
}

export interface ReconcilerRuntimeDeps {
  readonly kubeConfig: KubeConfig;
  readonly logger?: Logger;
  readonly cluster?: Cluster;
  readonly defaultMetrics?: boolean;
  /** Do not start the interval loops (tests drive reconcileNow). @default true */
  readonly autoStart?: boolean;
  /** Leadership lost (leader election): the runtime is stopped; the CLI exits. */
  readonly onLostLeadership?: () => void;
}

/** Who the reconciler is to the apiserver (SelfSubjectReview); a fallback name if it cannot ask. */
async function whoAmI(kc: KubeConfig): Promise<string> {
  return (await selfSubject(kubeHttp(kc))) ?? 'driftgate-reconciler';
}

/** Wire and start the reconciler from a parsed config. Throws on a trust config it cannot use. */
export async function startReconciler(
  cfg: ReconcilerConfig,
  deps: ReconcilerRuntimeDeps,
): Promise<ReconcilerHandle> {
  const logger = deps.logger ?? makeLogger('reconciler', cfg.logLevel);
  const metrics = new ReconcilerMetrics({ defaultMetrics: deps.defaultMetrics ?? true });
  const clientKc = sharedAgentCopy(deps.kubeConfig);
  // One discovery for the reconciler's own reads, writes and watches.
  const objects = new KubeObjects(kubeHttp(clientKc));
  const cluster = deps.cluster ?? clusterOver(objects);
  // The gate's evaluations run in a worker of their own, each within a deadline; it takes each
  // bundle as it goes live, so no sync waits for the worker to start.
  const gatePool = new GatePool(logger);
  const hub = new PolicyHub({
    opaPath: cfg.policies.opaPath,
    opaBuiltins: cfg.policies.opaBuiltins,
    ...(cfg.policies.dir ? { builtinDir: cfg.policies.dir } : {}),
    workDir: join(cfg.cacheDir, 'policies'),
    logger,
    enforcement: cfg.policies.enforcementOverrides,
    ...(cfg.policies.gate === 'off' ? {} : { onLive: (b: PolicyBundle) => gatePool.prepare(b) }),
  });
  const built = await hub.init();
  if (!built.ok) logger.error({ reason: built.error }, 'built-in policies do not build');
  const identity = await whoAmI(clientKc);
  // Sources report break-glass expiries to the runtime, which is built after them.
  const late: {
    runtime?: ReconcilerRuntime;
    gitSources?: GitSourceController;
    elector?: LeaderElector;
  } = {};
  const sources: SourceReconciler[] = [];
  // Ingress hosts are checked against every source's desired state and the live cluster.
  const ingresses = new IngressInventory(cluster, () => late.runtime?.desiredIndex(), logger);
  // Gatekeeper templates' data.inventory for the gate: the live cluster and every desired state.
  const gateInventory = new GateInventory(cluster, () => late.runtime?.desiredIndex(), logger);
  // Notifications: every source's events, sent off the sync path (nothing waits on an endpoint).
  const notifier =
    cfg.notifications.providers.length > 0
      ? new Notifier(cfg.notifications, { metrics, logger })
      : undefined;
  const tracer = new Tracer({
    ...cfg.tracing,
    service: 'driftgate-reconciler',
    onDrop: (n) => metrics.spansDropped.inc(n),
    onError: (reason) => logger.warn({ reason }, 'spans not exported'),
  });
  const factory = sourceFactory({
    cfg,
    tracer,
    ...(notifier ? { notify: (e: NotifyEvent) => notifier.notify(e) } : {}),
    kubeConfig: deps.cluster ? undefined : clientKc,
    cluster,
    metrics,
    logger,
    hub,
    identity,
    ingresses,
    gateInventory,
    gatePool,
    onBreakGlass: (source, ref, at) => late.runtime?.breakGlassSeen(source, ref, at),
    // A GitSource's status names the hook that runs while it runs.
    onProgress: (source) => {
      if (late.gitSources?.owns(source))
        void late.gitSources.publish(source, true).catch(() => undefined);
    },
  });
  for (const s of cfg.sources) sources.push(await factory.make(s));
  const le = cfg.leaderElection;
  // Shards: every replica runs its GitSources; the file's sources wait for leadership.
  const sharded = le?.shards !== undefined;
  const runtime = new ReconcilerRuntime({
    logger,
    metrics,
    sources: sharded ? [] : sources,
    maxConcurrent: cfg.maxConcurrentReconciles,
    auditWhen: () => late.elector?.leading ?? true,
    watch: kubeWatch(objects),
    // A remote source's objects are watched in its cluster (shared per kubeconfig).
    watchOf: (s) => factory.watchOf(s.cfg),
    onReconciled: (name) => {
      if (late.gitSources?.owns(name)) late.gitSources.changed(name);
    },
    onReconcileStart: async (name) => {
      if (late.gitSources?.owns(name)) await late.gitSources.publish(name, true);
    },
    audit: {
      cluster,
      hub,
      config: cfg.policies.audit,
      skipNamespaces: new Set([
        'kube-system',
        cfg.namespace,
        ...cfg.policies.audit.excludedNamespaces,
      ]),
      identity,
      ingresses,
    },
  });
  late.runtime = runtime;
  const stateToken = (): string | undefined =>
    cfg.stateTokenFile ? readFileSync(cfg.stateTokenFile, 'utf8').trim() : undefined;
  const shards: Shards | undefined =
    le?.shards !== undefined
      ? shardsOf({
          objects,
          namespace: cfg.namespace,
          identity: le.identity,
          group: le.leaseName,
          leaseDurationMs: le.leaseDurationMs,
          renewEveryMs: le.renewEveryMs,
          address: le.shards.address,
          ...(le.shards.podSelector !== undefined ? { podSelector: le.shards.podSelector } : {}),
          runtime: () => late.runtime,
          hub,
          leading: () => late.elector?.leading ?? false,
          leader: () => late.elector?.holder,
          stateToken,
          onChange: () => late.gitSources?.rebalance(),
          metrics,
          logger,
        })
      : undefined;
  const gitSources = cfg.gitSources
    ? new GitSourceController({
        kc: clientKc,
        cluster,
        writerOf: factory.writerOf,
        makeSource: factory.make,
        sources: runtime,
        rules: cfg.gitSources,
        namespace: cfg.namespace,
        logger,
        ...(shards ? { runs: shards.runs, onHandedOver: () => metrics.shardHandovers.inc() } : {}),
      })
    : undefined;
  late.gitSources = gitSources;
  // The leader takes in GitSources (and writes their status); a follower waits.
  const start = async (): Promise<void> => {
    runtime.start();
    await gitSources
      ?.start()
      .catch((err: unknown) =>
        logger.error({ reason: (err as Error).message }, 'GitSources cannot be watched'),
      );
  };
  const denials = denialsFeed(kubeHttp(clientKc));
  const server = await startStatusServer({
    host: cfg.host,
    port: cfg.statusPort,
    metricsPort: cfg.metricsPort,
    runtime,
    registry: metrics.registry,
    logger,
    hookSecret: () =>
      cfg.webhookSecretFile ? readFileSync(cfg.webhookSecretFile, 'utf8').trim() : undefined,
    stateToken,
    ...(shards
      ? {
          desired: (c?: string) => shards.feed.desired(c),
          forwardPush: (h: Record<string, string>, b: Buffer) => shards.forwardPush(h, b),
        }
      : {}),
    controlToken: () =>
      cfg.controlTokenFile ? readFileSync(cfg.controlTokenFile, 'utf8').trim() : undefined,
    controlAuth: kubernetesControlAuth(clientKc),
    userAuth: kubernetesUserAuth(clientKc),
    ...(cfg.ui.proxyAuth ? { proxyAuth: cfg.ui.proxyAuth } : {}),
    namespace: cfg.namespace,
    isGitSource: (name) => late.gitSources?.owns(name) ?? false,
    policies: () => hub.served,
    denials: () => denials.list(),
    ready: () => elector?.leading ?? true,
  });
  const pod = { namespace: cfg.namespace, name: le?.identity ?? identity };
  const label = (leading: boolean): Promise<void> =>
    le?.labelPod ? labelLeader(clientKc, pod, leading, logger) : Promise.resolve();
  const elector = le
    ? new LeaderElector(
        clientKc,
        {
          namespace: cfg.namespace,
          name: le.leaseName,
          identity: le.identity,
          leaseDurationMs: le.leaseDurationMs,
          renewEveryMs: le.renewEveryMs,
        },
        {
          onStartedLeading: () => {
            void label(true);
            if (!sharded) return void ((deps.autoStart ?? true) && start());
            // The file's sources and the GitSources with a policy path are the leader's.
            for (const s of sources) runtime.putSource(s);
            gitSources?.rebalance();
          },
          onStoppedLeading: () => {
            void label(false);
            runtime.stop();
            void gitSources?.stop();
            void shards?.stop(true);
            deps.onLostLeadership?.();
          },
        },
        logger,
      )
    : undefined;
  late.elector = elector;
  // A restarted container in a pod that led before starts as a follower: no leader label.
  if (elector) await label(false).then(() => elector.start());
  // Shards: every replica joins the ring and runs what it owns, leader or not.
  if (shards && (deps.autoStart ?? true)) await shards.start().then(start);
  else if (!elector && (deps.autoStart ?? true)) await start();
  logger.info({ sources: sources.length, port: server.port }, 'reconciler started');
  logger.info({ identity }, 'reconciler identity');
  return {
    runtime,
    hub,
    metrics,
    port: server.port,
    metricsPort: server.metricsPort,
    leading: () => elector?.leading ?? true,
    async close(release = true) {
      await elector?.stop(release);
      await shards?.stop(release);
      await gitSources?.stop();
      runtime.stop();
      await server.close();
      await gatePool.close();
      await tracer.close();
    },
  };
}
