// `driftgate diff --config <reconciler.yaml>`: Git (verified, rendered) against the live cluster.
import { withTools } from './tools.js';
import { diffWiring } from './diff-wiring.js';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { kubeCluster } from '../reconciler/kube/cluster.js';
import { configFiles, readConfigInputs } from '../reconciler/config/inputs.js';
import { type ReconcilerConfig } from '../reconciler/config/config.js';
import { parseReconcilerConfig } from '../reconciler/config/parse.js';
import {
  GITSOURCE,
  sourceFromGitSource,
  type GitSourceObject,
} from '../reconciler/gitsource/spec.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { sharedAgentCopy } from '../reconciler/kube/kubeconfig.js';
import { gitAuth } from '../reconciler/source-factory.js';
import { ReconcilerMetrics } from '../reconciler/metrics.js';
import { SourceReconciler } from '../reconciler/source-reconciler.js';
import { GitSource, type TreeFile } from '../reconciler/source/git-source.js';
import { CommitVerifier } from '../reconciler/verify/verifier.js';
import { str, type CliArgs } from './args.js';
import { emit, formatOf, kubeOf } from './output.js';

export const DIFF_USAGE = `driftgate diff --config <reconciler.yaml> [--source <name>] [--local <dir>]
driftgate diff --gitsource <name> [-n <namespace>] [--local <dir>] [--policies <dir>] [--gate <mode>]
  both also take -o text|json|yaml, --kubeconfig <file> and --context <name>

For each source (or the one named): fetches the head of its ref, verifies its signature,
renders it, and prints what a sync would create, update and prune in the cluster (KUBECONFIG),
as a unified diff per object (live -, Git +; a new object in full). Changes nothing.
Planned as the sync plans: dry-run writes as the source's ServiceAccount, and the pre-apply gate
over the config's policies (or --policies; --gate enforce|warn|off, default the config's or
enforce) says which objects it would hold ("held").
  --gitsource    a GitSource (read with its trust ConfigMap through the kubeconfig)
  --local <dir>  a working copy of the repository: preview its files (the source's path under
                 <dir>) instead of the head, uncommitted changes included, not verified
Exit codes: 0 in sync, 1 differences, 2 a source could not be compared (refused commit, render
error, unreachable Git or cluster: the message says which).`;

/** A working copy read like a commit: the files under `prefix`, .git left out. */
export function localTree(dir: string): Pick<GitSource, 'readTree'> {
  const walk = (rel: string, out: Map<string, TreeFile>): Map<string, TreeFile> => {
    for (const name of readdirSync(join(dir, rel))) {
      if (name === '.git') continue;
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, p));
      if (st.isDirectory()) walk(p, out);
      else if (st.isFile()) out.set(p, { oid: p, content: readFileSync(join(dir, p)) });
    }
    return out;
  };
  return { readTree: async (_commit, prefix) => walk(prefix.replace(/^\.?\/?$/, ''), new Map()) };
}

type Settings = Pick<ReconcilerConfig, 'kustomizePath' | 'helmPath' | 'namespace' | 'sources'> & {
  readonly policies?: ReconcilerConfig['policies'];
};

/** The sources to compare: the config file's, or one GitSource read through the kubeconfig. */
async function sourcesOf(a: CliArgs, kc: KubeConfig): Promise<Settings | string> {
  const gs = str(a, 'gitsource');
  if (gs) {
    const namespace =
      str(a, 'namespace') ?? kc.getContextObject(kc.currentContext)?.namespace ?? 'default';
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const api = kc.makeApiClient(CustomObjectsApi);
    const obj = (await api.getNamespacedCustomObject({
      ...GITSOURCE,
      namespace,
      name: gs,
    })) as GitSourceObject;
    const spec = (obj.spec ?? {}) as { verification?: { configMapRef?: { name?: string } } };
    const cm = await kubeCluster(kc).get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      name: spec.verification?.configMapRef?.name ?? '',
    });
    const r = sourceFromGitSource(
      obj,
      (cm?.data as Record<string, string> | undefined) ?? undefined,
      { requireServiceAccount: false, crossNamespace: true },
    );
    if (!r.source) return `GitSource ${namespace}/${gs}: ${r.problems.join('; ')}`;
    return {
      kustomizePath: 'kustomize',
      helmPath: 'helm',
      namespace: 'driftgate-system',
      sources: [r.source],
    };
  }
  const file = str(a, 'config') as string;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return `cannot read ${file}: ${(err as Error).message.split('\n')[0]}`;
  }
  const cfg = parseReconcilerConfig(raw, readConfigInputs(configFiles(raw)));
  const only = str(a, 'source');
  const sources = cfg.sources.filter((s) => !only || s.name === only);
  return sources.length === 0 ? `no source named ${only} in ${file}` : { ...cfg, sources };
}

export async function diff(a: CliArgs): Promise<number> {
  if (!str(a, 'config') && !str(a, 'gitsource')) {
    console.error(`driftgate diff: pass --config <file> or --gitsource <name>\n\n${DIFF_USAGE}`);
    return 2;
  }
  const kc = await kubeOf(a);
  if (typeof kc === 'string') {
    console.error(`driftgate diff: ${kc}`);
    return 2;
  }
  const cfg = await sourcesOf(a, kc).catch((err: unknown) => `${(err as Error).message}`);
  if (typeof cfg === 'string') {
    console.error(`driftgate diff: ${cfg}`);
    return 2;
  }
  const tools = withTools('diff', cfg, false);
  const { sources } = cfg;
  const local = str(a, 'local');
  const cluster = kubeCluster(sharedAgentCopy(kc));
  const cache = mkdtempSync(join(tmpdir(), 'driftgate-diff-'));
  let worst = 0;
  const results: (SourceDiff | { source: string; error: string })[] = [];
  try {
    const wiring = await diffWiring(cfg, a, kc, cluster, cache);
    for (const s of sources) {
      const a = gitAuth(s);
      const git = new GitSource({
        url: s.repoURL,
        ref: s.ref,
        cacheDir: cache,
        ...(a ? { auth: a } : {}),
        timeoutMs: s.timeoutMs,
      });
      const rec = new SourceReconciler(s, git, await CommitVerifier.create(s.verification.trust), {
        cluster: wiring.clusterOf(s),
        metrics: new ReconcilerMetrics({ defaultMetrics: false }),
        logger: pino({ level: 'silent' }),
        tools: { kustomizePath: tools.kustomizePath, helmPath: tools.helmPath },
        namespace: cfg.namespace,
        // The gate judges as whoever applies, as in the sync.
        identity: s.impersonate ?? 'driftgate-diff',
        gate: wiring.gate,
        ...(wiring.policies ? { policies: wiring.policies } : {}),
      });
      try {
        const p = await rec.plan(local ? localTree(local) : undefined);
        const d: SourceDiff = {
          source: s.name,
          revision: p.revision,
          signer: p.signer,
          changes: p.changes.map((c) => ({
            action: c.action,
            object: c.object,
            path: c.path,
            diff: c.diff,
            ...(c.heldBy ? { heldBy: c.heldBy } : {}),
          })),
          refused: p.plan.refused.map((r) => ({
            object: r.object,
            path: r.path,
            reason: r.reason,
          })),
          prune: [...p.prune],
          kept: p.kept.map((k) => ({ object: k.object, reason: k.reason })),
          inSync: false,
        };
        d.inSync =
          d.changes.length + d.prune.length + d.refused.length + d.kept.length === 0 &&
          !p.pruneRefused;
        results.push(d);
        if (!d.inSync) worst = Math.max(worst, 1);
      } catch (err) {
        results.push({ source: s.name, error: `cannot compare: ${(err as Error).message}` });
        worst = 2;
      }
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  const format = formatOf(a);
  if (format !== 'text') emit(format, { sources: results });
  else for (const r of results) printDiff(r);
  return worst;
}

/** What `diff` found for one source (-o json|yaml prints these). */
interface SourceDiff {
  source: string;
  revision: string;
  signer: string;
  changes: { action: string; object: string; path: string; diff: string; heldBy?: string[] }[];
  refused: { object: string; path: string; reason: string }[];
  prune: string[];
  kept: { object: string; reason: string }[];
  inSync: boolean;
}

function printDiff(d: SourceDiff | { source: string; error: string }): void {
  if ('error' in d) {
    console.log(`source ${d.source}: ${d.error}`);
    return;
  }
  console.log(`source ${d.source}: ${d.revision.slice(0, 12)} signed by ${d.signer}`);
  for (const c of d.changes)
    console.log(
      `  ${c.action} ${c.object} (${c.path})${c.heldBy ? `: the gate holds it: ${c.heldBy.join('; ')}` : ''}\n${c.diff.replace(/^/gm, '      ')}`,
    );
  for (const r of d.refused) console.log(`  refused ${r.object} (${r.path}): ${r.reason}`);
  for (const r of d.prune) console.log(`  prune  ${r} (no longer in Git)`);
  for (const k of d.kept) console.log(`  keep   ${k.object}: ${k.reason}`);
  if (d.inSync) console.log('  in sync');
}
