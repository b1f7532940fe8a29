import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthenticationV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type V1APIResource,
} from '@kubernetes/client-node';
import { LeaderElector } from './leader.js';
import { IngressInventory } from './ingress-inventory.js';
import { PolicyHub } from './policy-hub.js';
import { pino, type Logger } from 'pino';
import { kubeCluster, type Cluster } from './cluster.js';
import { sharedAgentCopy } from './kubeconfig.js';
import type { ReconcilerConfig, SourceConfig } from './config.js';
import { ReconcilerMetrics } from './metrics.js';
import { kubeWatch, ReconcilerRuntime } from './runtime.js';
import { startStatusServer } from './server.js';
import { SourceReconciler } from './source-reconciler.js';
import { GitSource, type GitAuth } from './source/git-source.js';
import { CommitVerifier } from './verify/verifier.js';

/** util-linux prlimit (in the image and on Debian): hard memory limits for renderers. */
const PRLIMIT = '/usr/bin/prlimit';

export interface ReconcilerHandle {
  readonly runtime: ReconcilerRuntime;
  readonly hub: PolicyHub;
  readonly metrics: ReconcilerMetrics;
  readonly port: number;
  readonly metricsPort: number;
  /** Whether this replica reconciles (always, without leader election). */
  leading(): boolean;
  close(): Promise<void>;
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

/** Git credentials of a source, read from their files on every use. */
export function gitAuth(s: SourceConfig): (() => GitAuth | undefined) | undefined {
  const c = s.credentials;
  if (!c) return undefined;
  // Read on every use so rotated Secrets apply without a restart; the values are never logged.
  return () => {
    if (c.tokenFile)
      return { username: 'x-access-token', password: readFileSync(c.tokenFile, 'utf8').trim() };
    if (c.usernameFile && c.passwordFile)
      return {
        username: readFileSync(c.usernameFile, 'utf8').trim(),
        password: readFileSync(c.passwordFile, 'utf8').trim(),
      };
    return undefined;
  };
}

/** Who the reconciler is to the apiserver (SelfSubjectReview); a fallback name if it cannot ask. */
async function whoAmI(kc: KubeConfig): Promise<string> {
  try {
    const r = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return r.status?.userInfo?.username ?? 'driftgate-reconciler';
  } catch {
    return 'driftgate-reconciler';
  }
}

/** Wire and start the reconciler from a parsed config. Throws on a trust config it cannot use. */
export async function startReconciler(
  cfg: ReconcilerConfig,
  deps: ReconcilerRuntimeDeps,
): Promise<ReconcilerHandle> {
  const logger = deps.logger ?? pino({ level: cfg.logLevel, base: { component: 'reconciler' } });
  const metrics = new ReconcilerMetrics({ defaultMetrics: deps.defaultMetrics ?? true });
  const clientKc = sharedAgentCopy(deps.kubeConfig);
  const cluster = deps.cluster ?? kubeCluster(clientKc);
  const hub = new PolicyHub({
    opaPath: cfg.policies.opaPath,
    ...(cfg.policies.dir ? { builtinDir: cfg.policies.dir } : {}),
    workDir: join(cfg.cacheDir, 'policies'),
    logger,
    enforcement: cfg.policies.enforcementOverrides,
  });
  const built = await hub.init();
  if (!built.ok) logger.error({ reason: built.error }, 'built-in policies do not build');
  const identity = await whoAmI(clientKc);
  // Sources report break-glass expiries to the runtime, which is built after them.
  const late: { runtime?: ReconcilerRuntime } = {};
  const sources: SourceReconciler[] = [];
  // Ingress hosts are checked against every source's desired state and the live cluster.
  const ingresses = new IngressInventory(cluster, () => late.runtime?.desiredIndex(), logger);
  for (const s of cfg.sources) {
    const a = gitAuth(s);
    const git = new GitSource({
      url: s.repoURL,
      ref: s.ref,
      cacheDir: join(cfg.cacheDir, 'git'),
      ...(a ? { auth: a } : {}),
    });
    const verifier = await CommitVerifier.create(s.verification.trust);
    sources.push(
      new SourceReconciler(s, git, verifier, {
        cluster,
        metrics,
        logger,
        tools: {
          kustomizePath: cfg.kustomizePath,
          helmPath: cfg.helmPath,
          ...(existsSync(PRLIMIT) ? { prlimitPath: PRLIMIT } : {}),
        },
        namespace: cfg.namespace,
        policies: hub,
        gate: cfg.policies.gate,
        identity,
        ingresses,
        onBreakGlass: (ref, at) => late.runtime?.breakGlassSeen(s.name, ref, at),
      }),
    );
  }
  const objects = KubernetesObjectApi.makeApiClient(clientKc);
  const discover = (apiVersion: string, kind: string): Promise<V1APIResource | undefined> =>
    (
      objects as unknown as { resource(a: string, k: string): Promise<V1APIResource | undefined> }
    ).resource(apiVersion, kind);
  const runtime = new ReconcilerRuntime({
    logger,
    metrics,
    sources,
    watch: kubeWatch(deps.kubeConfig, discover),
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
  const server = await startStatusServer({
    host: cfg.host,
    port: cfg.statusPort,
    metricsPort: cfg.metricsPort,
    runtime,
    registry: metrics.registry,
    logger,
    hookSecret: () =>
      cfg.webhookSecretFile ? readFileSync(cfg.webhookSecretFile, 'utf8').trim() : undefined,
    stateToken: () =>
      cfg.stateTokenFile ? readFileSync(cfg.stateTokenFile, 'utf8').trim() : undefined,
    controlToken: () =>
      cfg.controlTokenFile ? readFileSync(cfg.controlTokenFile, 'utf8').trim() : undefined,
    policies: () => hub.served,
    ready: () => elector?.leading ?? true,
  });
  const le = cfg.leaderElection;
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
          onStartedLeading: () => (deps.autoStart ?? true) && runtime.start(),
          onStoppedLeading: () => {
            runtime.stop();
            deps.onLostLeadership?.();
          },
        },
        logger,
      )
    : undefined;
  if (elector) elector.start();
  else if (deps.autoStart ?? true) runtime.start();
  logger.info({ sources: sources.length, port: server.port }, 'reconciler started');
  logger.info({ identity }, 'reconciler identity');
  return {
    runtime,
    hub,
    metrics,
    port: server.port,
    metricsPort: server.metricsPort,
    leading: () => elector?.leading ?? true,
    async close() {
      await elector?.stop();
      runtime.stop();
      await server.close();
    },
  };
}
