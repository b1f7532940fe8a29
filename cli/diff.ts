// `driftgate diff --config <reconciler.yaml>`: Git (verified, rendered) against the live cluster.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { kubeCluster } from '../reconciler/cluster.js';
import { configFiles, readConfigInputs } from '../reconciler/config-inputs.js';
import { parseReconcilerConfig } from '../reconciler/config.js';
import { sharedAgentCopy } from '../reconciler/kubeconfig.js';
import { gitAuth } from '../reconciler/main.js';
import { ReconcilerMetrics } from '../reconciler/metrics.js';
import { SourceReconciler } from '../reconciler/source-reconciler.js';
import { GitSource } from '../reconciler/source/git-source.js';
import { CommitVerifier } from '../reconciler/verify/verifier.js';
import { flag } from './args.js';

export const DIFF_USAGE = `driftgate diff --config <reconciler.yaml> [--source <name>]

For each source (or the one named): fetches the head of its ref, verifies its signature,
renders it, and prints what a sync would create, update and prune in the cluster (KUBECONFIG).
Changes nothing. Exit codes: 0 in sync, 1 differences, 2 a source could not be compared (refused
commit, render error, unreachable Git or cluster: the message says which).`;

export async function diff(args: readonly string[]): Promise<number> {
  const file = flag(args, '--config');
  if (args.includes('--help') || !file) {
    console.log(DIFF_USAGE);
    return file || args.includes('--help') ? 0 : 2;
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`driftgate diff: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
    return 2;
  }
  const cfg = parseReconcilerConfig(raw, readConfigInputs(configFiles(raw)));
  const only = flag(args, '--source');
  const sources = cfg.sources.filter((s) => !only || s.name === only);
  if (sources.length === 0) {
    console.error(`driftgate diff: no source named ${only} in ${file}`);
    return 2;
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const cluster = kubeCluster(sharedAgentCopy(kc));
  const cache = mkdtempSync(join(tmpdir(), 'driftgate-diff-'));
  let worst = 0;
  try {
    for (const s of sources) {
      const a = gitAuth(s);
      const git = new GitSource({
        url: s.repoURL,
        ref: s.ref,
        cacheDir: cache,
        ...(a ? { auth: a } : {}),
      });
      const rec = new SourceReconciler(s, git, await CommitVerifier.create(s.verification.trust), {
        cluster,
        metrics: new ReconcilerMetrics({ defaultMetrics: false }),
        logger: pino({ level: 'silent' }),
        tools: { kustomizePath: cfg.kustomizePath, helmPath: cfg.helmPath },
        namespace: cfg.namespace,
      });
      try {
        const p = await rec.plan();
        console.log(`source ${s.name}: ${p.revision.slice(0, 12)} signed by ${p.signer}`);
        for (const c of p.changes)
          console.log(
            c.action === 'create'
              ? `  create ${c.object} (${c.path}):\n${c.diff.replace(/^/gm, '      ')}`
              : `  ${c.action.padEnd(6)} ${c.object} (${c.path}): ${c.diff}`,
          );
        for (const r of p.plan.refused)
          console.log(`  refused ${r.object} (${r.path}): ${r.reason}`);
        for (const r of p.prune) console.log(`  prune  ${r} (no longer in Git)`);
        if (p.pruneRefused) console.log(`  no prune: ${p.pruneRefused}`);
        if (p.changes.length === 0 && p.prune.length === 0 && p.plan.refused.length === 0)
          console.log('  in sync');
        else worst = Math.max(worst, 1);
      } catch (err) {
        console.log(`source ${s.name}: cannot compare: ${(err as Error).message}`);
        worst = 2;
      }
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  return worst;
}
