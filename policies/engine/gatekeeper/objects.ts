import { isObject } from '../../../core/object.js';
import { Enforcement } from '../discover.js';
import { requiredSync, type SyncKind } from './inventory.js';
import { readCel, type GkCel } from './cel.js';
import { EXPANSION_GROUP, readExpansion, type GkExpansion } from './expansion.js';
import { parseMatch, type GkMatch } from './match.js';
import { MUTATION_GROUP, readMutator, type GkMutator } from './mutators.js';
import { PROVIDER_GROUP, readProvider, type GkProvider } from './providers.js';
import { gatekeeperDocuments } from './yaml-compat.js';

/** Gatekeeper's API groups, as its users write them in Git. */
export const TEMPLATE_GROUP = 'templates.gatekeeper.sh';
export const CONSTRAINT_GROUP = 'constraints.gatekeeper.sh';
/** The only target driftgate evaluates (Gatekeeper's admission target). */
export const ADMISSION_TARGET = 'admission.k8s.gatekeeper.sh';
/** The enforcement point a scoped action names for admission. */
export const VALIDATION_POINT = 'validation.gatekeeper.sh';

/** A ConstraintTemplate's Rego, as Gatekeeper users write it. */
export interface GkTemplate {
  /** metadata.name: the kind in lower case. */
  readonly name: string;
  /** The constraint kind it defines (spec.crd.spec.names.kind). */
  readonly kind: string;
  readonly title: string;
  readonly rego: string;
  readonly libs: readonly string[];
  /** Rego v1 syntax (`source.version: v1`); otherwise v0, converted at build. */
  readonly v1: boolean;
  readonly file: string;
  /** The kinds it reads from data.inventory (its requires-sync-data annotation). */
  readonly sync: readonly SyncKind[];
  /** The parameters' schema (spec.crd.spec.validation.openAPIV3Schema): its defaults apply. */
  readonly parameterSchema?: Readonly<Record<string, unknown>>;
  /** The admission operations it judges (targets[].operations); absent: every one. */
  readonly operations?: readonly string[];
  /** A template without Rego: its CEL validations (its `rego` is empty). */
  readonly cel?: GkCel;
}

/** One constraint: an instance of a template's kind. */
export interface GkConstraint {
  readonly kind: string;
  readonly name: string;
  readonly match?: GkMatch;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** spec.parameters was written (the apiserver defaults only what is there). */
  readonly parametersGiven?: boolean;
  readonly enforcement: Enforcement;
  /** A scoped action's action at gator's point (gator, check): `none` when it names no such
   *  point (gator then does not run it); absent when not scoped. */
  readonly gator?: Enforcement | 'none';
  readonly file: string;
}

export interface GkObjects {
  readonly templates: readonly GkTemplate[];
  readonly constraints: readonly GkConstraint[];
  readonly expansions?: readonly GkExpansion[];
  readonly mutators?: readonly GkMutator[];
  /** External data Providers: the endpoints `external_data` and mutators' externalData ask. */
  readonly providers?: readonly GkProvider[];
}

/** The first line of a parser's message. */
export const firstLine = (m: string | undefined): string => (m ?? '').split('\n')[0] ?? '';

const group = (apiVersion: unknown): string =>
  typeof apiVersion === 'string' && apiVersion.includes('/')
    ? apiVersion.slice(0, apiVersion.indexOf('/'))
    : '';

const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);

/** The Rego source of the admission target: `rego`/`libs`, or a `code` entry of engine Rego. */
function regoSource(
  target: Record<string, unknown>,
): { rego: string; libs: unknown; v1: boolean } | undefined {
  const code = Array.isArray(target.code) ? target.code : [];
  const entry = code.find((c) => isObject(c) && c.engine === 'Rego') as
    Record<string, unknown> | undefined;
  const src = isObject(entry?.source) ? entry.source : undefined;
  if (typeof src?.rego === 'string')
    return { rego: src.rego, libs: src.libs, v1: src.version === 'v1' };
  if (typeof target.rego === 'string') return { rego: target.rego, libs: target.libs, v1: false };
  return undefined;
}

function readTemplate(doc: Record<string, unknown>, file: string, problems: string[]) {
  const name = at(doc, 'metadata', 'name');
  const kind = at(doc, 'spec', 'crd', 'spec', 'names', 'kind');
  const where = `${file}: ConstraintTemplate ${typeof name === 'string' ? name : '?'}`;
  if (typeof kind !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind))
    return void problems.push(`${where}: spec.crd.spec.names.kind must be a kind name`);
  if (name !== kind.toLowerCase())
    return void problems.push(
      `${where}: metadata.name must be ${kind.toLowerCase()} (the kind in lower case)`,
    );
  const targets = at(doc, 'spec', 'targets');
  const target = Array.isArray(targets)
    ? (targets.find((t) => isObject(t) && t.target === ADMISSION_TARGET) as Record<string, unknown>)
    : undefined;
  // Its CEL when it has any (Gatekeeper prefers the K8sNativeValidation engine, as gator does);
  // a template with Rego too falls back to its Rego when its CEL cannot be compiled here.
  const celProblems: string[] = [];
  const read = target ? readCel(target, where, celProblems) : undefined;
  const hasRego = target !== undefined && regoSource(target) !== undefined;
  if (celProblems.length > 0 && !hasRego) return void problems.push(...celProblems);
  const cel = celProblems.length > 0 ? undefined : read;
  const src = target
    ? (regoSource(target) ?? (cel ? { rego: '', libs: [], v1: true } : undefined))
    : undefined;
  if (!src) return void problems.push(`${where}: no Rego or CEL for target ${ADMISSION_TARGET}`);
  const libs = src.libs ?? [];
  if (!Array.isArray(libs) || !libs.every((l) => typeof l === 'string'))
    return void problems.push(`${where}: libs must be a list of Rego modules`);
  const title = at(doc, 'metadata', 'annotations', 'metadata.gatekeeper.sh/title');
  const sync = requiredSync(
    at(doc, 'metadata', 'annotations', 'metadata.gatekeeper.sh/requires-sync-data'),
  );
  const schema = at(doc, 'spec', 'crd', 'spec', 'validation', 'openAPIV3Schema');
  const ops = target?.operations;
  return {
    ...(cel ? { cel } : {}),
    ...(isObject(schema) ? { parameterSchema: schema } : {}),
    ...(Array.isArray(ops) && ops.every((o) => typeof o === 'string') && !ops.includes('*')
      ? { operations: ops as string[] }
      : {}),
    name,
    kind,
    title: typeof title === 'string' ? title : kind,
    rego: src.rego,
    libs,
    v1: src.v1,
    file,
    sync,
  };
}

const ACTIONS: Readonly<Record<string, Enforcement>> = {
  deny: Enforcement.enforce,
  warn: Enforcement.warn,
  dryrun: Enforcement.dryrun,
};

/**
 * `scoped`: the action at an enforcement point, from the entries naming it (or `*`); a deny
 * wins. None names it: undefined.
 */
function scopedActionAt(spec: Record<string, unknown>, point: string): Enforcement | undefined {
  const scoped = Array.isArray(spec.scopedEnforcementActions) ? spec.scopedEnforcementActions : [];
  const actions = scoped
    .filter((s): s is Record<string, unknown> => isObject(s))
    .filter((s) =>
      (Array.isArray(s.enforcementPoints) ? s.enforcementPoints : []).some(
        (p) => isObject(p) && (p.name === point || p.name === '*'),
      ),
    )
    .map((s) => ACTIONS[String(s.action).toLowerCase()]);
  for (const a of [Enforcement.enforce, Enforcement.warn, Enforcement.dryrun])
    if (actions.includes(a)) return a;
  return undefined;
}

/** `scoped` for gator (and check): its action there, or none. */
const gatorAction = (spec: Record<string, unknown>): Enforcement | 'none' =>
  scopedActionAt(spec, GATOR_POINT) ?? 'none';

/** `scoped` at admission: its validation-point action; naming no such point: audit only. */
const scopedAction = (spec: Record<string, unknown>): Enforcement =>
  scopedActionAt(spec, VALIDATION_POINT) ?? Enforcement.dryrun;

function readConstraint(doc: Record<string, unknown>, file: string, problems: string[]) {
  const name = at(doc, 'metadata', 'name');
  const kind = doc.kind;
  const where = `${file}: ${String(kind)} ${typeof name === 'string' ? name : '?'}`;
  if (typeof name !== 'string' || name === '' || typeof kind !== 'string')
    return void problems.push(`${where}: a constraint needs a kind and metadata.name`);
  const spec = isObject(doc.spec) ? doc.spec : {};
  const raw = typeof spec.enforcementAction === 'string' ? spec.enforcementAction : 'deny';
  const enforcement = raw === 'scoped' ? scopedAction(spec) : ACTIONS[raw.toLowerCase()];
  if (!enforcement)
    return void problems.push(`${where}: enforcementAction must be deny, warn, dryrun or scoped`);
  const match =
    spec.match === undefined ? undefined : parseMatch(spec.match, `${where}: spec.match`, problems);
  if (spec.parameters !== undefined && !isObject(spec.parameters))
    return void problems.push(`${where}: spec.parameters must be a mapping`);
  return {
    kind,
    name,
    ...(match ? { match } : {}),
    parameters: isObject(spec.parameters) ? spec.parameters : {},
    ...(isObject(spec.parameters) ? { parametersGiven: true } : {}),
    enforcement,
    ...(raw === 'scoped' ? { gator: gatorAction(spec) } : {}),
    file,
  };
}

/** gator's enforcement point: a scoped constraint that names neither it nor `*` is not run. */
export const GATOR_POINT = 'gator.gatekeeper.sh';

/** Whether a file is a gator suite by its name (suite.yaml / suite.yml). */
export const isSuiteFile = (path: string): boolean => /(^|\/)suite\.ya?ml$/.test(path);

/** Whether a file of a policy tree may hold Gatekeeper objects (YAML, not driftgate's own). */
export const isGatekeeperFile = (path: string): boolean =>
  /\.ya?ml$/.test(path) &&
  !/(^|\/)(policy|enforcement|tenancy|suite|kustomization)\.ya?ml$/.test(path);

/**
 * The ConstraintTemplates and constraints in YAML files (path → text): other documents are
 * skipped (samples, suites). Problems are collected: a template without Rego, a constraint of a
 * kind no template defines, two templates of one kind, two constraints of one name. Pure.
 */
export function readGatekeeperObjects(
  files: Readonly<Record<string, string>>,
  problems: string[],
): GkObjects {
  const templates: GkTemplate[] = [];
  const constraints: GkConstraint[] = [];
  const expansions: GkExpansion[] = [];
  const mutators: GkMutator[] = [];
  const providers: GkProvider[] = [];
  for (const [file, text] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isGatekeeperFile(file)) continue;
    for (const doc of gatekeeperDocuments(file, text, problems)) {
      if (!isObject(doc)) continue;
      const g = group(doc.apiVersion);
      if (g === TEMPLATE_GROUP && doc.kind === 'ConstraintTemplate') {
        const t = readTemplate(doc, file, problems);
        if (t) templates.push(t);
      } else if (g === CONSTRAINT_GROUP) {
        const c = readConstraint(doc, file, problems);
        if (c) constraints.push(c);
      } else if (g === EXPANSION_GROUP && doc.kind === 'ExpansionTemplate') {
        const e = readExpansion(doc, file, problems);
        if (e) expansions.push(e);
      } else if (g === MUTATION_GROUP) {
        const m = readMutator(doc, file, problems);
        if (m) mutators.push(m);
      } else if (g === PROVIDER_GROUP) {
        const p = readProvider(doc, file, problems);
        if (p) providers.push(p);
      }
    }
  }
  const kinds = new Map<string, GkTemplate>();
  for (const t of templates) {
    const seen = kinds.get(t.kind);
    if (seen)
      problems.push(`${t.file}: template kind ${t.kind} is already defined by ${seen.file}`);
    kinds.set(t.kind, t);
  }
  const names = new Map<string, GkConstraint>();
  for (const c of constraints) {
    if (!kinds.has(c.kind))
      problems.push(`${c.file}: no ConstraintTemplate defines kind ${c.kind}`);
    const seen = names.get(c.name);
    if (seen)
      problems.push(
        `${c.file}: constraint name ${c.name} is already used by ${seen.kind} in ${seen.file}`,
      );
    names.set(c.name, c);
  }
  return {
    templates: [...kinds.values()],
    constraints: [...names.values()],
    expansions,
    mutators,
    providers,
  };
}
