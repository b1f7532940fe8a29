// Gatekeeper content in `driftgate check`: templates and constraints among the manifests join
// the policies, and `--suites` runs gator-style suites as `gator verify` does.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { composePolicyTree, readPolicyFiles } from '../policies/engine/compose.js';
import type { PolicyMeta } from '../policies/engine/discover.js';
import type { Finding } from '../policies/engine/findings.js';
import { EXPANSION_GROUP } from '../policies/engine/gatekeeper/expansion.js';
import { MUTATION_GROUP } from '../policies/engine/gatekeeper/mutators.js';
import { CONSTRAINT_GROUP, TEMPLATE_GROUP } from '../policies/engine/gatekeeper/objects.js';
import { PROVIDER_GROUP } from '../policies/engine/gatekeeper/providers.js';
import type { CaseResult } from '../policies/engine/gatekeeper/suite.js';
import { verifySuites, type VerifyOptions } from '../policies/engine/gatekeeper/verify.js';
import type { Rendered } from '../reconciler/model/objects.js';
import { emit, type Format } from './output.js';

const GATEKEEPER_GROUPS = [
  TEMPLATE_GROUP,
  CONSTRAINT_GROUP,
  EXPANSION_GROUP,
  MUTATION_GROUP,
  PROVIDER_GROUP,
  'test.gatekeeper.sh',
];

/** Gatekeeper's templates, constraints, expansions, mutators, providers and gator Suites: policy,
 *  not manifests to judge. */
export const isGatekeeperObject = (r: Rendered): boolean =>
  GATEKEEPER_GROUPS.includes(String(r.object.apiVersion ?? '').split('/')[0] ?? '');

/**
 * The policies `check` builds: the policy directory, with the Gatekeeper templates and
 * constraints found among the manifests beside it (one file each). Returns the tree and a remover.
 */
export function policyTreeWith(
  policies: string,
  gatekeeper: readonly Rendered[],
): { dir: string; remove(): void } {
  const files: Record<string, string> = {};
  gatekeeper
    .filter((r) => r.object.kind !== 'Suite')
    .forEach((r, i) => {
      files[`gatekeeper-from-manifests/${i}.yaml`] = stringify(r.object);
    });
  return composePolicyTree(join(tmpdir(), 'driftgate-check'), [readPolicyFiles(policies), files]);
}

const line = (r: CaseResult): string => {
  const name = `${r.suite} ${r.test}/${r.case}`;
  if (r.skipped) return `SKIP ${name}`;
  if (r.unsupported !== undefined) return `UNSUPPORTED ${name}: ${r.unsupported}`;
  return r.ok ? `ok   ${name}` : `FAIL ${name}: ${r.message ?? ''}`;
};

/**
 * `driftgate check <dir> --suites`: every ConstraintTemplate under `dir` compiled, every
 * suite.yaml under it run. Exit 0: every case passed; 1: a case failed; 2: a template cannot be
 * run here (listed with the reason), and nothing failed.
 */
export async function checkSuites(dir: string, o: VerifyOptions, format: Format): Promise<number> {
  const report = await verifySuites(dir, o);
  const failed = report.results.filter((r) => !r.ok && !r.skipped && r.unsupported === undefined);
  const passed = report.results.filter((r) => r.ok && !r.skipped);
  if (format !== 'text')
    emit(format, {
      results: report.results,
      unsupported: Object.fromEntries(report.unsupported),
    });
  else {
    for (const r of report.results) console.log(line(r));
    for (const [file, why] of report.unsupported)
      console.log(`UNSUPPORTED template ${file}: ${why}`);
    console.log(
      `${passed.length} passed, ${failed.length} failed, ${report.unsupported.size} templates unsupported`,
    );
  }
  if (failed.length > 0) return 1;
  return report.unsupported.size > 0 ? 2 : 0;
}

/**
 * Findings as gator's enforcement point sees them (check is gator's counterpart): a scoped
 * constraint takes its action there, and says nothing when it names no such point. Pure.
 */
export function atGatorPoint(
  found: readonly Finding[],
  policies: readonly PolicyMeta[],
): Finding[] {
  const byId = new Map(policies.map((p) => [p.id, p.gatekeeper?.gator]));
  return found.flatMap((f) => {
    const gator = byId.get(f.policy);
    if (gator === undefined) return [f];
    return gator === 'none' ? [] : [{ ...f, action: gator }];
  });
}
