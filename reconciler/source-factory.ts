import type { GatePool } from './policy/gate-pool.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Cluster } from './kube/port.js';
import { kubeCluster } from './kube/cluster.js';
import type { ReconcilerConfig, SourceConfig } from './config/config.js';
import type { IngressInventory } from './policy/ingress-inventory.js';
import type { GateInventory } from './policy/gate-inventory.js';
import { impersonating } from './kube/kubeconfig.js';
import type { ReconcilerMetrics } from './metrics.js';
import type { ObjectRef } from './model/objects.js';
import type { PolicyHub } from './policy/hub.js';
import { SourceReconciler } from './source-reconciler.js';
import { GitSource, type GitAuth } from './source/git-source.js';
import { writesAs } from './kube/writes-as.js';
import { RemoteClusters } from './remote-clusters.js';
import type { SourceWatch } from './runtime/runtime.js';
import { CommitVerifier } from './verify/verifier.js';
import type { NotifyEvent } from './notify/payloads.js';
import type { Tracer } from '../core/tracing.js';

/** util-linux prlimit (in the image and on Debian): hard memory limits for renderers. */
const PRLIMIT = '/usr/bin/prlimit';

/** Git credentials of a source, read from their files on every use. */
export function gitAuth(s: SourceConfig): (() => GitAuth | undefined) | undefined {
  const secret = s.secretAuth;
  if (secret) return () => secret;
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

export interface SourceFactoryOptions {
  readonly cfg: ReconcilerConfig;
  /** For impersonating clients; undefined when the cluster is injected (tests). */
  readonly kubeConfig: KubeConfig | undefined;
  readonly cluster: Cluster;
  readonly metrics: ReconcilerMetrics;
  readonly logger: Logger;
  readonly hub: PolicyHub;
  readonly identity: string;
  readonly ingresses: IngressInventory;
  readonly gateInventory?: GateInventory;
  readonly gatePool?: GatePool;
  readonly onBreakGlass: (source: string, ref: ObjectRef, expiresMs: number) => void;
  /** Traces of syncs (off without an endpoint). */
  readonly tracer?: Tracer;
  /** Notifications of every source's events (absent: none configured). */
  readonly notify?: (e: NotifyEvent) => void;
  /** A source's sync made progress worth showing (a hook started). */
  readonly onProgress?: (source: string) => void;
}

/** How sources are built from their config (the file's, or a GitSource's). */
export function sourceFactory(o: SourceFactoryOptions): {
  make(s: SourceConfig): Promise<SourceReconciler>;
  writerOf(s: SourceConfig): Cluster;
  watchOf(s: SourceConfig): SourceWatch | undefined;
} {
  const writers = new Map<string, Cluster>();
  const remotes = new RemoteClusters(o.cluster, o.cfg.namespace);
  // A source with a ServiceAccount writes as it (its RBAC decides); reads stay the reconciler's.
  const writerOf = (s: SourceConfig): Cluster => {
    if (s.remote) return remotes.of(s.remote.kubeConfig, s.impersonate).cluster;
    if (!s.impersonate || !o.kubeConfig) return o.cluster;
    let w = writers.get(s.impersonate);
    if (!w) {
      w = writesAs(o.cluster, kubeCluster(impersonating(o.kubeConfig, s.impersonate)));
      writers.set(s.impersonate, w);
    }
    return w;
  };
  const watchOf = (s: SourceConfig): SourceWatch | undefined =>
    s.remote ? remotes.of(s.remote.kubeConfig).watch : undefined;
  const make = async (s: SourceConfig): Promise<SourceReconciler> => {
    // A remote source's writes are the kubeconfig's user's (or its ServiceAccount's) in the spoke.
    const remote = s.remote ? remotes.of(s.remote.kubeConfig) : undefined;
    const a = gitAuth(s);
    const git = new GitSource({
      url: s.repoURL,
      ref: s.ref,
      cacheDir: join(o.cfg.cacheDir, 'git'),
      ...(a ? { auth: a } : {}),
      timeoutMs: s.timeoutMs,
      remote: { privateNetworks: s.privateNetworks ?? true },
    });
    const verifier = await CommitVerifier.create(s.verification.trust);
    return new SourceReconciler(s, git, verifier, {
      cluster: writerOf(s),
      metrics: o.metrics,
      logger: o.logger,
      tools: {
        kustomizePath: o.cfg.kustomizePath,
        helmPath: o.cfg.helmPath,
        ...(existsSync(PRLIMIT) ? { prlimitPath: PRLIMIT } : {}),
      },
      namespace: o.cfg.namespace,
      policies: o.hub,
      gate: o.cfg.policies.gate,
      // The gate judges as whoever applies.
      identity: s.impersonate ?? o.identity,
      ...(remote ? { applier: () => s.impersonate ?? remote.identity() } : {}),
      ingresses: o.ingresses,
      ...(o.gateInventory ? { gateInventory: o.gateInventory } : {}),
      ...(o.gatePool ? { gatePool: o.gatePool } : {}),
      ...(o.cfg.policies.audit.policyReports ? { reportsTo: o.cluster } : {}),
      onBreakGlass: (ref, at) => o.onBreakGlass(s.name, ref, at),
      ...(o.notify ? { notify: o.notify } : {}),
      ...(o.tracer ? { tracer: o.tracer } : {}),
      ...(o.onProgress ? { onProgress: () => o.onProgress?.(s.name) } : {}),
    });
  };
  return { make, writerOf, watchOf };
}
