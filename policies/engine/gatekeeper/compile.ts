import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../../core/exec.js';
import type { PolicyMeta } from '../discover.js';
import type { GkConstraint, GkObjects, GkTemplate } from './objects.js';
import { withDefaults } from './defaults.js';
import { TENANT_INVENTORIES } from './inventory.js';

/** Where template Rego lives in the bundle (outside `driftgate.`: never a policy of its own). */
export const TEMPLATES_PACKAGE = 'gatekeeper_templates';
/** Constraint policies sit at `driftgate.gatekeeper.<template>["<constraint>"]`. */
export const GATEKEEPER_CATEGORY = 'gatekeeper';

/** The entrypoint that evaluates a template's `violation` set (gator-style suites use it). */
export const templateEntrypoint = (template: string): string =>
  `${TEMPLATES_PACKAGE}/${template}/violation`;

/** One constraint as a driftgate policy: its id is the constraint's name, as Gatekeeper prints. */
export function constraintPolicy(c: GkConstraint, t: GkTemplate): PolicyMeta {
  return {
    id: c.name,
    path: [GATEKEEPER_CATEGORY, t.name, c.name],
    description: t.title,
    enforcement: c.enforcement,
    parameters: c.parametersGiven
      ? (withDefaults(t.parameterSchema, c.parameters) as Record<string, unknown>)
      : c.parameters,
    // Gatekeeper judges every update afresh: an existing violation denies again.
    allowExistingViolations: false,
    gatekeeper: {
      kind: c.kind,
      template: t.name,
      ...(c.match ? { match: c.match } : {}),
      ...(t.operations ? { operations: t.operations } : {}),
      ...(c.gator ? { gator: c.gator } : {}),
    },
  };
}

/** The constraints of `objects` as policies (each has its template: readGatekeeperObjects). */
export function constraintPolicies(objects: GkObjects): PolicyMeta[] {
  const byKind = new Map(objects.templates.map((t) => [t.kind, t]));
  return objects.constraints.flatMap((c) => {
    const t = byKind.get(c.kind);
    return t ? [constraintPolicy(c, t)] : [];
  });
}

/** A Rego reference to a path whose segments may not be identifiers. */
export const regoRef = (root: string, segments: readonly string[]): string =>
  root +
  segments
    .map((s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
    .join('');

/** The wrapper that runs a template with Gatekeeper's input for one constraint. */
export function constraintModule(p: PolicyMeta): string {
  const t = p.gatekeeper?.template ?? '';
  const pkg = regoRef('driftgate', p.path).slice('driftgate'.length);
  return [
    `package driftgate${pkg}`,
    '',
    'import rego.v1',
    '',
    // Gatekeeper reviews a DELETE by its old object, with the Namespace when it has it.
    'is_delete if input.request.operation == "DELETE"',
    'base := object.union(input.request, {"object": input.request.oldObject}) if is_delete',
    'base := input.request if not is_delete',
    'has_namespace if is_object(input.driftgate.namespaceObject)',
    'review := object.union(base, {"namespaceObject": input.driftgate.namespaceObject}) if has_namespace',
    'review := base if not has_namespace',
    '',
    'violations := vs if {',
    `\tvs := data.${TEMPLATES_PACKAGE}.${t}.violation with input as {"review": review, "parameters": ${regoRef('data.parameters', p.path)}}`,
    '}',
    '',
    'deny contains v.msg if {',
    '\tsome v in violations',
    '\tis_string(v.msg)',
    '}',
    '',
    'deny contains sprintf("violation without a msg: %v", [v]) if {',
    '\tsome v in violations',
    '\tnot is_string(v.msg)',
    '}',
    '',
  ].join('\n');
}

/**
 * Rego v0's chained rule bodies (`p { a } { b }`, one body per line `} {`) as separate rules with
 * the same head, which `opa fmt --v0-v1` cannot convert by itself. Only bodies closed and opened
 * on one line at the left margin are split; anything else is left for opa to judge.
 */
export function unchainBodies(text: string): string {
  let head: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.trimEnd();
      if (trimmed === '} {' && head !== undefined) return `}\n\n${head} {`;
      const m = /^([^\s#}].*?)\s*\{$/.exec(trimmed);
      const h = m?.[1];
      if (h !== undefined && !/^(package|import)\b/.test(h)) head = h;
      return line;
    })
    .join('\n');
}

/** The package of the sprintf wrapper templates call (sets marked so they print as sets). */
export const FORMAT_PACKAGE = `${TEMPLATES_PACKAGE}.driftgate_fmt`;

/**
 * A set reaches the JavaScript sprintf as a JSON array; marked, it prints as OPA prints a set
 * (`{"owner"}`), as Gatekeeper's messages show it (see sprintf.ts SET_MARK).
 */
export const FORMAT_MODULE = [
  `package ${FORMAT_PACKAGE}`,
  '',
  'import rego.v1',
  '',
  'format(f, args) := sprintf(f, [mark(a) | some a in args])',
  '',
  'mark(a) := {"__driftgate_set__": [x | some x in a]} if is_set(a)',
  '',
  'mark(a) := a if not is_set(a)',
  '',
].join('\n');

const CODE_ONLY = /"(?:[^"\\\n]|\\.)*"|`[^`]*`|#.*$/gm;

/**
 * A template module (or one of its libs) moved under `gatekeeper_templates.<name>`, as Gatekeeper
 * namespaces each template: its package, and `data.lib` references to its own libs. Other
 * `data` references are refused (Gatekeeper allows only `data.lib` and `data.inventory`). A
 * tenant's template reads the tenant's view of the inventory instead (`tenantView`).
 */
export function namespaceModule(
  text: string,
  template: string,
  lib: boolean,
  where: string,
  problems: string[],
  tenant?: string,
): string {
  const base = `${TEMPLATES_PACKAGE}.${template}`;
  const pkg = /^\s*package\s+([\w.]+)/m.exec(text)?.[1];
  if (!pkg) {
    problems.push(`${where}: no package`);
    return text;
  }
  if (lib && !pkg.startsWith('lib.') && pkg !== 'lib')
    problems.push(`${where}: a lib's package must start with lib. (found ${pkg})`);
  const code = text.replace(CODE_ONLY, '');
  const other = /(?<![\w.])data\b(?!\.(?:lib|inventory)\b)/.exec(code);
  if (other)
    problems.push(`${where}: only data.lib and data.inventory may be read (Gatekeeper's rule)`);
  return text
    .replace(/^(\s*package\s+)[\w.]+/m, `$1${lib ? `${base}.${pkg}` : base}`)
    .replace(/(?<![\w.])data\.lib\b/g, `data.${base}.lib`)
    .replace(
      /(?<![\w.])data\.inventory\b/g,
      tenant === undefined ? 'data.inventory' : regoRef(`data.${TENANT_INVENTORIES}`, [tenant]),
    )
    .replace(/(?<![\w.])sprintf\(/g, `data.${FORMAT_PACKAGE}.format(`);
}

export interface TemplateSources {
  /** Relative path → module text, ready to stage beside the other Rego. */
  readonly files: Readonly<Record<string, string>>;
  readonly problems: readonly string[];
  /** `opa fmt --v0-v1`'s own words when a template's Rego v0 could not be converted. */
  readonly conversion?: string;
  /**
   * Files (keys of `files`) kept in Rego v0: OPA evaluates what its converter refuses (the
   * deprecated builtins re_match, any, all, set_diff …), so the build compiles them as v0.
   */
  readonly v0Files: readonly string[];
}

type Module = { t: GkTemplate; lib: boolean; rel: string; where: string; text: string };

/**
 * Convert the v0 modules with `opa fmt --v0-v1`, all in one run; the templates it refuses only
 * for calling deprecated builtins stay v0 and the rest run again. Returns the templates kept in
 * v0, or the converter's words for any other refusal.
 */
async function convert(
  modules: readonly Module[],
  conv: string,
  opaPath: string,
  work: string,
  timeoutMs: number,
): Promise<{ kept: Set<string> } | { conversion: string }> {
  const kept = new Set<string>();
  for (;;) {
    const pending = modules.filter((m) => !m.t.v1 && !kept.has(m.t.name));
    if (pending.length === 0) return { kept };
    rmSync(conv, { recursive: true, force: true });
    for (const m of pending) {
      mkdirSync(join(conv, m.t.name), { recursive: true });
      writeFileSync(join(conv, m.rel), unchainBodies(m.text));
    }
    const r = await exec(opaPath, ['fmt', '--v0-v1', '-w', conv], {
      timeoutMs,
      env: { PATH: '/nonexistent', HOME: work },
    });
    if (r.code === 0) return { kept };
    let text = (r.stderr + r.stdout).trim();
    const lines = text.split('\n');
    const linesOf = (m: Module) => lines.filter((l) => l.includes(join(conv, m.rel)));
    // Only calls to deprecated builtins keep a template v0; any other refusal is the author's.
    const deprecated = pending.filter((m) => {
      const own = linesOf(m);
      return own.length > 0 && own.every((l) => /deprecated built-in function/.test(l));
    });
    const other = pending.some((m) => linesOf(m).some((l) => !/deprecated built-in/.test(l)));
    if (deprecated.length === 0 || other) {
      for (const m of pending) text = text.split(join(conv, m.rel)).join(m.where);
      return { conversion: text.slice(0, 2000) };
    }
    for (const m of deprecated) kept.add(m.t.name);
  }
}

/**
 * Every template's Rego and libs as modules under `gatekeeper_templates.<name>` (v0 sources
 * converted with `opa fmt --v0-v1`, or kept v0 where it refuses), and a wrapper per constraint.
 */
export async function templateSources(
  objects: GkObjects,
  policies: readonly PolicyMeta[],
  opaPath: string,
  work: string,
  timeoutMs: number,
  tenantOf: (template: string) => string | undefined = () => undefined,
): Promise<TemplateSources> {
  const problems: string[] = [];
  const conv = join(work, 'gatekeeper-v0');
  // A CEL template has no Rego module: the bundle evaluates it in JavaScript (cel.ts).
  const modules: Module[] = objects.templates
    .filter((t) => !t.cel)
    .flatMap((t) =>
      [t.rego, ...t.libs].map((text, i) => ({
        t,
        lib: i > 0,
        rel: `${t.name}/${i === 0 ? 'template' : `lib${i}`}.rego`,
        where: `${t.file}${i === 0 ? '' : ` (libs[${i - 1}])`}`,
        text,
      })),
    );
  const converted = await convert(modules, conv, opaPath, work, timeoutMs);
  if ('conversion' in converted)
    return { files: {}, problems, conversion: converted.conversion, v0Files: [] };
  const { kept } = converted;
  const files: Record<string, string> = {
    [`${TEMPLATES_PACKAGE}/driftgate_fmt.rego`]: FORMAT_MODULE,
  };
  for (const m of modules) {
    const text = m.t.v1 || kept.has(m.t.name) ? m.text : readFileSync(join(conv, m.rel), 'utf8');
    files[`${TEMPLATES_PACKAGE}/${m.rel}`] = namespaceModule(
      text,
      m.t.name,
      m.lib,
      m.where,
      problems,
      tenantOf(m.t.name),
    );
  }
  policies.forEach((p, i) => {
    if (p.gatekeeper) files[`${TEMPLATES_PACKAGE}/constraints/c${i}.rego`] = constraintModule(p);
  });
  const v0Files = modules
    .filter((m) => kept.has(m.t.name))
    .map((m) => `${TEMPLATES_PACKAGE}/${m.rel}`);
  return { files, problems, v0Files };
}
