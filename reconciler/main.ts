import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubernetesObjectApi, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { kubeCluster, type Cluster } from './cluster.js';
import { sharedAgentCopy } from './kubeconfig.js';
import type { ReconcilerConfig, SourceConfig } from './config.js';
import { ReconcilerMetrics } from './metrics.js';
import { ReconcilerRuntime } from './runtime.js';
import { startStatusServer } from './server.js';
import { SourceReconciler } from './source-reconciler.js';
import { GitSource, type GitAuth } from './source/git-source.js';
import { CommitVerifier } from './verify/verifier.js';

export interface ReconcilerHandle {
  readonly runtime: ReconcilerRuntime;
  readonly metrics: ReconcilerMetrics;
  readonly port: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

export interface ReconcilerRuntimeDeps {
  readonly kubeConfig: KubeConfig;
  readonly logger?: Logger;
  readonly cluster?: Cluster;
  readonly defaultMetrics?: boolean;
  /** Do not start the interval loops (tests drive reconcileNow). @default true */
  readonly autoStart?: boolean;
}

function auth(s: SourceConfig): (() => GitAuth | undefined) | undefined {
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

/** Wire and start the reconciler from a parsed config. Throws on a trust config it cannot use. */
export async function startReconciler(
  cfg: ReconcilerConfig,
  deps: ReconcilerRuntimeDeps,
): Promise<ReconcilerHandle> {
  const logger = deps.logger ?? pino({ level: cfg.logLevel, base: { component: 'reconciler' } });
  const metrics = new ReconcilerMetrics({ defaultMetrics: deps.defaultMetrics ?? true });
  const clientKc = sharedAgentCopy(deps.kubeConfig);
  const cluster = deps.cluster ?? kubeCluster(clientKc);
  const sources: SourceReconciler[] = [];
  for (const s of cfg.sources) {
    const a = auth(s);
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
        tools: { kustomizePath: cfg.kustomizePath, helmPath: cfg.helmPath },
        namespace: cfg.namespace,
      }),
    );
  }
  const objects = KubernetesObjectApi.makeApiClient(clientKc);
  const discover = (apiVersion: string, kind: string): Promise<V1APIResource | undefined> =>
    (
      objects as unknown as { resource(a: string, k: string): Promise<V1APIResource | undefined> }
    ).resource(apiVersion, kind);
  const runtime = new ReconcilerRuntime({
    kubeConfig: deps.kubeConfig,
    logger,
    metrics,
    sources,
    discover,
  });
  const server = await startStatusServer({
    host: cfg.host,
    port: cfg.statusPort,
    metricsPort: cfg.metricsPort,
    runtime,
    registry: metrics.registry,
    logger,
    hookSecret: () =>
      cfg.webhookSecretFile ? readFileSync(cfg.webhookSecretFile, 'utf8').trim() : undefined,
  });
  if (deps.autoStart ?? true) runtime.start();
  logger.info({ sources: sources.length, port: server.port }, 'reconciler started');
  return {
    runtime,
    metrics,
    port: server.port,
    metricsPort: server.metricsPort,
    async close() {
      runtime.stop();
      await server.close();
    },
  };
}
