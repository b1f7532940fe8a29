import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, PolicyBuildError } from '../build.js';
import { loadBundle, type PolicyBundle } from '../bundle.js';
import { TEMPLATES_PACKAGE } from './compile.js';
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
      opaBuiltins: true,
      ...(o.builtCacheDir ? { builtCacheDir: o.builtCacheDir } : {}),
    });
    return await loadBundle(built);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

const reason = (err: unknown): string =>
  err instanceof PolicyBuildError ? err.message : String((err as Error)?.message ?? err);

/** The template files a build error names (by file, or by the template's staged path). */
function named(message: string, root: string, files: readonly string[]): string[] {
  return files.filter((f) => {
    if (message.includes(f)) return true;
    const { templates } = readGatekeeperObjects({ [f]: readFileSync(join(root, f), 'utf8') }, []);
    return templates.some((t) => message.includes(`${TEMPLATES_PACKAGE}/${t.name}/`));
  });
}

/**
 * Build every template of `files` in one bundle; the templates a failed build names are set
 * aside with its words and the rest built again (one build per culprit found, not per template).
 * Only an error that names no template falls back to building each alone.
 */
async function buildIsolated(
  root: string,
  files: readonly string[],
  o: VerifyOptions,
  unsupported: Map<string, string>,
): Promise<PolicyBundle | undefined> {
  let left = [...files];
  while (left.length > 0) {
    try {
      return await buildTemplates(root, left, o);
    } catch (err) {
      const why = reason(err);
      const culprits = named(why, root, left);
      if (culprits.length === 0) return buildEachAlone(root, left, o, unsupported);
      for (const f of culprits) unsupported.set(f, why);
      left = left.filter((f) => !culprits.includes(f));
    }
  }
  return undefined;
}

async function buildEachAlone(
  root: string,
  files: readonly string[],
  o: VerifyOptions,
  unsupported: Map<string, string>,
): Promise<PolicyBundle | undefined> {
  const good: string[] = [];
  for (const f of files) {
    try {
      await buildTemplates(root, [f], o);
      good.push(f);
    } catch (err) {
      unsupported.set(f, reason(err));
    }
  }
  return good.length > 0 ? buildTemplates(root, good, o) : undefined;
}

/**
 * gator verify, here: every template under `root` is compiled (all in one bundle; a template
 * that cannot be supported is named and set aside, and the rest still run), then every
 * suite.yaml under `root` is run against them.
 */
export async function verifySuites(root: string, o: VerifyOptions): Promise<VerifyReport> {
  const unsupported = new Map<string, string>();
  const files = templateFiles(root, unsupported);
  const bundle = await buildIsolated(root, files, o, unsupported);
  const suites = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => isSuiteFile(f))
    .sort();
  const budget = { cases: MAX_CASES, deadline: Date.now() + SUITES_BUDGET_MS };
  const results = suites.flatMap((s) => runSuite(root, s, bundle, unsupported, budget));
  return { results, unsupported };
}
