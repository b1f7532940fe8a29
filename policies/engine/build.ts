import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec } from '../../core/exec.js';
import { builtKey, hashFiles, readBuilt, writeBuilt } from './built-cache.js';
import type { BuiltBundle } from './built.js';
import { opaVersion, writeWasmCapabilities } from './capabilities.js';
import { GO_BUILTINS, goBuiltinsBeside } from './go-builtins.js';
import { boundByFile, boundPolicies, readTenancy, templateBounds } from './tenancy.js';
import {
  applyEnforcement,
  ENFORCEMENT_FILE,
  mergeEnforcement,
  parseEnforcementFile,
  unknownPolicyIds,
  type EnforcementConfig,
} from './enforcement.js';
import { discoverPolicies, PolicyLayoutError, regoFiles, type PolicyMeta } from './discover.js';
import { templateEntrypoint, templateSources } from './gatekeeper/compile.js';
import { readGatekeeperTree, type GatekeeperTree } from './gatekeeper/tree.js';
import { resolveConflicts } from './gatekeeper/mutation-schema.js';
import type { GkMutator } from './gatekeeper/mutators.js';
import { entryModule, policyEntrypoint, RESULTS_ENTRYPOINT } from './entry.js';
import { readTarGzEntry } from './tar.js';

export const BuildStage = {
  layout: 'layout',
  test: 'test',
  compile: 'compile',
  load: 'load',
} as const;
export type BuildStage = (typeof BuildStage)[keyof typeof BuildStage];

/** A policy directory that was refused; `message` is the compiler's or test runner's own text. */
export class PolicyBuildError extends Error {
  constructor(
    readonly stage: BuildStage,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`policy ${stage} failed: ${message}`, options);
    this.name = 'PolicyBuildError';
  }
}

export interface BuildOptions {
  /** The opa binary. */
  readonly opaPath: string;
  /** Where capabilities files are cached. @default os.tmpdir()/driftgate-opa */
  readonly cacheDir?: string;
  /** The revision to report (a Git commit). @default sha256 of the .rego sources */
  readonly revision?: string;
  /** Remember built bundles here by content and reuse them (`driftgate check`). */
  readonly builtCacheDir?: string;
  /**
   * The platform's bootstrap actions, scopes and parameters per policy (config and chart). An
   * `enforcement.yaml` at the root of the tree (from Git, beside the policies) is laid over it;
   * the result is compiled into the bundle's policy list.
   */
  readonly enforcement?: EnforcementConfig;
  /** opa test timeout. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Allow the builtins that run OPA's own code from opa-builtins.wasm beside opa (go-builtins.ts):
   * about 220 MiB more memory per process whose policies call one. @default false
   */
  readonly opaBuiltins?: boolean;
}

function stage(root: string, files: readonly string[], into: string): void {
  for (const f of files) {
    mkdirSync(dirname(join(into, f)), { recursive: true });
    copyFileSync(join(root, f), join(into, f));
  }
}

/** A bundle manifest: Rego v1, except the files listed (bundle-relative), which are v0. */
const v0Manifest = (files: readonly string[]): string =>
  JSON.stringify({
    rego_version: 1,
    file_rego_versions: Object.fromEntries(files.map((f) => [`/${f}`, 0])),
  });

/**
 * Tool output for an error: temp paths made relative, at most 2,000 characters, led by what to
 * do when a builtin refused is one opa-builtins.wasm answers.
 */
const clip = (text: string, work: string): string => {
  const name = /undefined function ([\w.]+)/.exec(text)?.[1];
  const hint =
    name && GO_BUILTINS.includes(name)
      ? `${name} runs OPA's own code: allow it with policies.opaBuiltins (needs opa-builtins.wasm beside opa; README "Gatekeeper"). `
      : '';
  return hint + text.trim().split(`${work}/`).join('').slice(0, 2000);
};

function sourceHash(root: string, files: readonly string[]): string {
  return hashFiles(createHash('sha256'), root, files).digest('hex').slice(0, 12);
}

/**
 * The policies under `root` with the bootstrap enforcement and the tree's own enforcement file
 * laid over them. Throws PolicyLayoutError for a bad file or one naming a policy that is not there.
 */
export function enforcedPolicies(
  root: string,
  bootstrap: EnforcementConfig = {},
  gatekeeper: GatekeeperTree = readGatekeeperTree(root),
): PolicyMeta[] {
  const native = (() => {
    try {
      return discoverPolicies(root);
    } catch (err) {
      if (err instanceof PolicyLayoutError && gatekeeper.problems.length > 0)
        throw new PolicyLayoutError([...err.problems, ...gatekeeper.problems]);
      throw err;
    }
  })();
  if (gatekeeper.problems.length > 0) throw new PolicyLayoutError([...gatekeeper.problems]);
  const problems: string[] = [];
  const tenants = readTenancy(root, problems);
  const found = boundPolicies([...native, ...gatekeeper.policies], tenants, gatekeeper.objects);
  // A Provider is where admission requests' data is sent: the platform's to declare, not a tenant's.
  for (const p of boundByFile(gatekeeper.objects.providers ?? [], tenants))
    if (p.tenant)
      problems.push(
        `${p.file}: Provider ${p.name}: a tenant may not declare external data providers`,
      );
  const seen = new Set<string>();
  for (const p of gatekeeper.objects.providers ?? []) {
    if (seen.has(p.name)) problems.push(`${p.file}: Provider ${p.name} is declared twice`);
    seen.add(p.name);
  }
  const file = join(root, ENFORCEMENT_FILE);
  if (problems.length > 0) throw new PolicyLayoutError(problems);
  if (!existsSync(file)) return applyEnforcement(found, bootstrap);
  const inGit = parseEnforcementFile(readFileSync(file, 'utf8'), ENFORCEMENT_FILE, problems);
  for (const id of unknownPolicyIds(inGit, found))
    problems.push(`${ENFORCEMENT_FILE}: ${id} is not a policy here`);
  if (problems.length > 0) throw new PolicyLayoutError(problems);
  return applyEnforcement(found, mergeEnforcement(bootstrap, inGit));
}

/**
 * Test (`opa test`) and compile (`opa build -t wasm`) the Rego under `root`. Only .rego files
 * take part (samples and policy.yaml are not data). Throws PolicyBuildError naming the stage with
 * the tool's own output; the caller keeps its last good bundle. Not worth retrying unchanged.
 */
export async function buildBundle(root: string, options: BuildOptions): Promise<BuiltBundle> {
  let policies: PolicyMeta[];
  const gatekeeper = readGatekeeperTree(root);
  try {
    policies = enforcedPolicies(root, options.enforcement, gatekeeper);
  } catch (err) {
    if (err instanceof PolicyLayoutError)
      throw new PolicyBuildError(BuildStage.layout, err.problems.join('; '));
    throw err;
  }
  const rego = regoFiles(root);
  // The Gatekeeper YAML is source too: it is hashed into the revision and the cache key.
  const files = [...rego, ...gatekeeper.files];
  if (policies.length === 0 && gatekeeper.objects.templates.length === 0)
    throw new PolicyBuildError(
      BuildStage.layout,
      `no <category>/<name>/policy.rego and no ConstraintTemplate under ${root}`,
    );
  const cacheDir = options.builtCacheDir;
  const key = cacheDir
    ? `${builtKey(root, files, policies, options.opaPath)}${options.opaBuiltins ? '-ob' : ''}`
    : undefined;
  const cached = cacheDir && key ? readBuilt(cacheDir, key) : undefined;
  if (cached) return { ...cached, revision: options.revision ?? cached.revision };
  const work = mkdtempSync(join(tmpdir(), 'driftgate-build-'));
  try {
    const all = join(work, 'all');
    const prod = join(work, 'prod');
    stage(root, rego, all);
    stage(
      root,
      rego.filter((f) => !f.endsWith('_test.rego')),
      prod,
    );
    const timeout = options.timeoutMs ?? 60_000;
    const templates = gatekeeper.objects.templates;
    let v0Files: readonly string[] = [];
    // Read again here: enforcedPolicies has already refused a broken tenancy file.
    const tenants = readTenancy(root, []);
    const bounds = templateBounds(gatekeeper.objects, tenants);
    if (templates.length > 0) {
      const gk = await templateSources(
        gatekeeper.objects,
        policies,
        options.opaPath,
        work,
        timeout,
        (name) => bounds.get(name)?.source,
      );
      if (gk.conversion !== undefined)
        throw new PolicyBuildError(BuildStage.compile, `opa fmt --v0-v1: ${gk.conversion}`);
      if (gk.problems.length > 0)
        throw new PolicyBuildError(BuildStage.layout, gk.problems.join('; '));
      for (const dir of [all, prod])
        for (const [rel, text] of Object.entries(gk.files)) {
          mkdirSync(dirname(join(dir, rel)), { recursive: true });
          writeFileSync(join(dir, rel), text);
        }
      v0Files = gk.v0Files;
    }
    // Templates kept in Rego v0: built as a bundle whose manifest says which files are v0.
    const asBundle = v0Files.length > 0 ? ['-b'] : [];
    if (v0Files.length > 0)
      for (const dir of [all, prod]) writeFileSync(join(dir, '.manifest'), v0Manifest(v0Files));
    const caps = await writeWasmCapabilities(
      options.opaPath,
      options.opaBuiltins === true,
      options.cacheDir ?? join(tmpdir(), 'driftgate-opa'),
    );
    // Tests run with the same capabilities (no http.send, net.*, opa.runtime) and no environment:
    // a policy test can neither reach the network nor read the reconciler's secrets.
    const env = { PATH: '/nonexistent', HOME: work };
    const tested = await exec(options.opaPath, ['test', '--capabilities', caps, ...asBundle, all], {
      timeoutMs: timeout,
      env,
    });
    if (tested.code !== 0)
      throw new PolicyBuildError(BuildStage.test, clip(tested.stdout + tested.stderr, work));
    const out = join(work, 'bundle.tar.gz');
    writeFileSync(join(prod, '__driftgate_entry.rego'), entryModule(policies));
    const entrypoints = [
      RESULTS_ENTRYPOINT,
      ...policies.map((_, i) => policyEntrypoint(i)),
      ...templates.filter((t) => !t.cel).map((t) => templateEntrypoint(t.name)),
    ].flatMap((e) => ['-e', e]);
    const built = await exec(
      options.opaPath,
      ['build', '-t', 'wasm', '--capabilities', caps, ...asBundle, ...entrypoints, '-o', out, prod],
      { timeoutMs: timeout, env },
    );
    if (built.code !== 0)
      throw new PolicyBuildError(BuildStage.compile, clip(built.stderr + built.stdout, work));
    const wasm = readTarGzEntry(readFileSync(out), 'policy.wasm');
    if (!wasm) throw new PolicyBuildError(BuildStage.compile, 'opa build wrote no policy.wasm');
    const goWasm = options.opaBuiltins ? goBuiltinsBeside(options.opaPath) : undefined;
    const result = {
      wasm,
      ...(goWasm
        ? { goBuiltins: { path: goWasm, opaVersion: await opaVersion(options.opaPath) } }
        : {}),
      revision: options.revision ?? sourceHash(root, files),
      policies,
      // A tenant's ExpansionTemplates and mutators act only inside its namespaces.
      ...(gatekeeper.objects.expansions?.length
        ? { expansions: boundByFile(gatekeeper.objects.expansions, tenants) }
        : {}),
      ...mutatorsOf(boundByFile(gatekeeper.objects.mutators ?? [], tenants)),
      ...(gatekeeper.objects.providers?.length ? { providers: gatekeeper.objects.providers } : {}),
      templates: templates.map((t) => {
        const tenant = bounds.get(t.name);
        return {
          name: t.name,
          kind: t.kind,
          file: t.file,
          sync: t.sync,
          ...(tenant ? { tenant } : {}),
          ...(t.cel ? { cel: t.cel } : {}),
        };
      }),
    };
    if (cacheDir && key) writeBuilt(cacheDir, key, result);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The mutators that may run, and why the others may not (schema conflicts). */
function mutatorsOf(all: readonly GkMutator[]): Pick<BuiltBundle, 'mutators' | 'mutatorConflicts'> {
  if (all.length === 0) return {};
  const { usable, conflicts } = resolveConflicts(all);
  return {
    ...(usable.length > 0 ? { mutators: usable } : {}),
    ...(conflicts.length > 0 ? { mutatorConflicts: conflicts } : {}),
  };
}
