import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, PolicyBuildError } from '../build.js';
import { loadBundle, type PolicyBundle } from '../bundle.js';
import { isSuiteFile, readGatekeeperObjects } from './objects.js';
import { MAX_CASES, runSuite, SUITES_BUDGET_MS, type CaseResult } from './suite.js';
import { gatekeeperFiles } from './tree.js';

export interface VerifyReport {
  readonly results: readonly CaseResult[];
  /** Template file → why it cannot be run here (its cases are reported, not run). */
  readonly unsupported: ReadonlyMap<string, string>;
}

export interface VerifyOptions {
  readonly opaPath: string;
  readonly builtCacheDir?: string;
}

/** The template files under `root`, and the problems of those that cannot even be read. */
function templateFiles(root: string, unsupported: Map<string, string>): string[] {
  const out: string[] = [];
  for (const f of gatekeeperFiles(root)) {
    const text = readFileSync(join(root, f), 'utf8');
    if (!/kind:\s*["']?ConstraintTemplate/.test(text)) continue;
    const problems: string[] = [];
    const objects = readGatekeeperObjects({ [f]: text }, problems);
    if (problems.length > 0) unsupported.set(f, problems.join('; '));
    else if (objects.templates.length > 0) out.push(f);
  }
  return out;
}

/** Build the templates of `files` alone (no constraints: suites bring their own). */
async function buildTemplates(root: string, files: readonly string[], o: VerifyOptions) {
  const tree = mkdtempSync(join(tmpdir(), 'driftgate-suites-'));
  try {
    for (const f of files) cpSync(join(root, f), join(tree, f));
    const built = await buildBundle(tree, {
      opaPath: o.opaPath,
      ...(o.builtCacheDir ? { builtCacheDir: o.builtCacheDir } : {}),
    });
    return await loadBundle(built);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

const reason = (err: unknown): string =>
  err instanceof PolicyBuildError ? err.message : String((err as Error)?.message ?? err);

/**
 * gator verify, here: every template under `root` is compiled (all in one bundle; when that
 * fails, each alone, so one template that cannot be supported is named and the rest still run),
 * then every suite.yaml under `root` is run against them.
 */
export async function verifySuites(root: string, o: VerifyOptions): Promise<VerifyReport> {
  const unsupported = new Map<string, string>();
  let files = templateFiles(root, unsupported);
  let bundle: PolicyBundle | undefined;
  try {
    bundle = files.length > 0 ? await buildTemplates(root, files, o) : undefined;
  } catch {
    const good: string[] = [];
    for (const f of files) {
      try {
        await buildTemplates(root, [f], o);
        good.push(f);
      } catch (err) {
        unsupported.set(f, reason(err));
      }
    }
    files = good;
    bundle = files.length > 0 ? await buildTemplates(root, files, o) : undefined;
  }
  const suites = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => isSuiteFile(f))
    .sort();
  const budget = { cases: MAX_CASES, deadline: Date.now() + SUITES_BUDGET_MS };
  const results = suites.flatMap((s) => runSuite(root, s, bundle, unsupported, budget));
  return { results, unsupported };
}
