import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { type Cluster } from '../reconciler/kube/port.js';
import { kubeCluster } from '../reconciler/kube/cluster.js';
import type { GateMode, ReconcilerConfig, SourceConfig } from '../reconciler/config/config.js';
import { impersonating, sharedAgentCopy } from '../reconciler/kube/kubeconfig.js';
import { PolicyHub } from '../reconciler/policy/hub.js';
import { writesAs } from '../reconciler/kube/writes-as.js';
import { str, type CliArgs } from './args.js';
import { optionalTool } from './tools.js';

/** What `diff` plans with, as the sync would: the gate's policies and each source's identity. */
export interface DiffWiring {
  readonly policies?: PolicyHub;
  readonly gate: GateMode;
  /** A source's cluster: its dry-run writes go as its ServiceAccount, as the sync's do. */
  clusterOf(s: SourceConfig): Cluster;
}

/**
 * The same wiring the sync has (reconciler/source-factory.ts): the pre-apply gate over the
 * platform's policies (the config's `policies`, or `--policies DIR`; `--gate` for a GitSource),
 * and a source with a ServiceAccount writing as it. Without policies, nothing is held.
 */
export async function diffWiring(
  cfg: { readonly policies?: ReconcilerConfig['policies'] },
  a: CliArgs,
  kc: KubeConfig,
  cluster: Cluster,
  workDir: string,
): Promise<DiffWiring> {
  const dir = str(a, 'policies') ?? cfg.policies?.dir;
  const gate = (str(a, 'gate') as GateMode | undefined) ?? cfg.policies?.gate ?? 'enforce';
  let policies: PolicyHub | undefined;
  if (dir && gate !== 'off') {
    const hub = new PolicyHub({
      opaPath: optionalTool('diff', 'policies.opaPath', cfg.policies?.opaPath ?? 'opa'),
      builtinDir: dir,
      workDir: join(workDir, 'policies'),
      logger: pino({ level: 'silent' }),
      ...(cfg.policies ? { enforcement: cfg.policies.enforcementOverrides } : {}),
    });
    const built = await hub.init();
    if (built.ok) policies = hub;
    else
      console.error(
        `driftgate diff: the gate's policies do not build (${built.error}); nothing is shown as held`,
      );
  }
  const writers = new Map<string, Cluster>();
  return {
    ...(policies ? { policies } : {}),
    gate,
    clusterOf: (s) => {
      if (!s.impersonate) return cluster;
      let w = writers.get(s.impersonate);
      if (!w) {
        w = writesAs(cluster, kubeCluster(impersonating(sharedAgentCopy(kc), s.impersonate)));
        writers.set(s.impersonate, w);
      }
      return w;
    },
  };
}
