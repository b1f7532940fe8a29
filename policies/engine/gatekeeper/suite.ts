import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject } from '../../../core/object.js';
import type { PolicyBundle } from '../bundle.js';
import { requestTarget, inScope } from '../scope.js';
import { inventoryOf, namespaceLabels, emptyInventory } from './inventory.js';
import { firstLine, isSuiteFile, readGatekeeperObjects, type GkConstraint } from './objects.js';

export { isSuiteFile };

/** One case of a gator-style suite (`kind: Suite`, test.gatekeeper.sh): passed, or why not. */
export interface CaseResult {
  /** The suite file, relative to the root the suites were found under. */
  readonly suite: string;
  readonly test: string;
  readonly case: string;
  readonly ok: boolean;
  readonly skipped?: boolean;
  /** Set when the test's template cannot be run here: why (the case did not run). */
  readonly unsupported?: string;
  readonly message?: string;
}

interface Assertion {
  readonly violations?: number | string;
  readonly message?: string;
}

const MAX_FILE = 1024 * 1024;

function readDocs(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_FILE) throw new Error(`${path} is larger than ${MAX_FILE} bytes`);
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${path}: ${firstLine(d.errors[0]?.message)}`);
      return d.toJS({ maxAliasCount: 50 }) as unknown;
    })
    .filter(isObject);
}

/** The AdmissionRequest Gatekeeper reviews for a plain object (gator's conversion). */
function objectReview(obj: Record<string, unknown>): Record<string, unknown> {
  const apiVersion = String(obj.apiVersion ?? '');
  const slash = apiVersion.lastIndexOf('/');
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  return {
    uid: '',
    kind: {
      group: slash < 0 ? '' : apiVersion.slice(0, slash),
      version: apiVersion.slice(slash + 1),
      kind: String(obj.kind ?? ''),
    },
    resource: { group: '', version: '', resource: '' },
    ...(typeof meta.name === 'string' && meta.name ? { name: meta.name } : {}),
    ...(typeof meta.namespace === 'string' && meta.namespace ? { namespace: meta.namespace } : {}),
    operation: '',
    userInfo: {},
    object: obj,
  };
}

/** The review a case file stands for: an AdmissionReview's request, or a plain object's. */
function caseReview(path: string): Record<string, unknown> {
  const docs = readDocs(path);
  const doc = docs[0];
  if (docs.length !== 1 || !doc)
    throw new Error(`${path} must hold exactly one object (found ${docs.length})`);
  if (doc.kind !== 'AdmissionReview') return objectReview(doc);
  const request = doc.request;
  if (!isObject(request) || (!isObject(request.object) && !isObject(request.oldObject)))
    throw new Error(`${path}: AdmissionReview has no request object or oldObject`);
  // Gatekeeper reviews a DELETE by its old object.
  return request.operation === 'DELETE' && !isObject(request.object)
    ? { ...request, object: request.oldObject }
    : request;
}

function checkAssertion(a: Assertion, messages: readonly string[]): string | undefined {
  const re = a.message === undefined ? undefined : new RegExp(a.message);
  const matching = messages.filter((m) => !re || re.test(m)).length;
  const want = a.violations ?? 'yes';
  const containing = a.message === undefined ? '' : ` containing "${a.message}"`;
  const got = `got ${matching} violations${containing}`;
  if (typeof want === 'number')
    return matching === want ? undefined : `${got} but want exactly ${want}`;
  if (want === 'yes') return matching > 0 ? undefined : `${got} but want at least 1`;
  if (want === 'no') return matching === 0 ? undefined : `${got} but want none`;
  return `violations must be a number, "yes" or "no" (found ${String(want)})`;
}

interface SuiteTest {
  readonly name?: string;
  readonly template?: string;
  readonly constraint?: string;
  readonly skip?: boolean;
  readonly cases?: readonly {
    readonly name?: string;
    readonly object?: string;
    readonly inventory?: readonly string[];
    readonly assertions?: readonly Assertion[];
    readonly skip?: boolean;
  }[];
}

/** The template (by its file) and constraint a test names, read from under `root`. */
function testSubjects(
  root: string,
  dir: string,
  t: SuiteTest,
  bundle: PolicyBundle | undefined,
): { bundle: PolicyBundle; template: string; constraint: GkConstraint } {
  const templateFile = relative(root, normalize(join(dir, t.template ?? '')));
  const template = bundle?.built.templates?.find((x) => x.file === templateFile);
  if (!bundle || !template)
    throw new Error(`template ${t.template} is not among the built templates`);
  const constraintFile = normalize(join(dir, t.constraint ?? ''));
  const problems: string[] = [];
  const texts = {
    [templateFile]: readFileSync(join(root, templateFile), 'utf8'),
    [relative(root, constraintFile)]: readFileSync(constraintFile, 'utf8'),
  };
  const objects = readGatekeeperObjects(texts, problems);
  const constraint = objects.constraints[0];
  if (problems.length > 0 || !constraint)
    throw new Error(problems.join('; ') || `${t.constraint} holds no constraint`);
  return { bundle, template: template.name, constraint };
}

/** Run one case: match, evaluate the template with Gatekeeper's input, check the assertions. */
function runCase(
  bundle: PolicyBundle,
  dir: string,
  template: string,
  constraint: GkConstraint,
  c: NonNullable<SuiteTest['cases']>[number],
): string | undefined {
  const review = caseReview(join(dir, c.object ?? ''));
  const inventory = inventoryOf((c.inventory ?? []).flatMap((f) => readDocs(join(dir, f))));
  const namespace = typeof review.namespace === 'string' ? review.namespace : '';
  const target = requestTarget(review, namespaceLabels(inventory, namespace));
  let messages: string[] = [];
  if (inScope({ gatekeeper: constraint.match ? { match: constraint.match } : {} }, target)) {
    bundle.setInventory(inventory);
    try {
      messages = bundle
        .evaluateTemplate(template, { review, parameters: constraint.parameters })
        .map((v) => (isObject(v) && typeof v.msg === 'string' ? v.msg : JSON.stringify(v)));
    } finally {
      bundle.setInventory(emptyInventory());
    }
  }
  const failures = (c.assertions ?? []).map((a) => checkAssertion(a, messages)).filter(Boolean);
  return failures.length > 0
    ? `${failures.join('; ')}: got messages ${JSON.stringify(messages)}`
    : undefined;
}

/** Every case of one suite file; a test whose template or constraint cannot be read fails whole. */
export function runSuite(
  root: string,
  file: string,
  bundle: PolicyBundle | undefined,
  unsupported: ReadonlyMap<string, string> = new Map(),
): CaseResult[] {
  const dir = dirname(join(root, file));
  const out: CaseResult[] = [];
  for (const suite of readDocs(join(root, file)).filter((d) => d.kind === 'Suite')) {
    for (const t of (Array.isArray(suite.tests) ? suite.tests : []) as SuiteTest[]) {
      const test = t.name ?? '';
      const cases = t.cases ?? [];
      const result = (name: string, r: Partial<CaseResult>): void =>
        void out.push({ suite: file, test, case: name, ok: true, ...r });
      if (t.skip) {
        for (const c of cases) result(c.name ?? '', { skipped: true });
        continue;
      }
      const why = unsupported.get(relative(root, normalize(join(dir, t.template ?? ''))));
      if (why !== undefined) {
        for (const c of cases) result(c.name ?? '', { ok: false, unsupported: why });
        continue;
      }
      let subjects: ReturnType<typeof testSubjects>;
      try {
        subjects = testSubjects(root, dir, t, bundle);
      } catch (err) {
        for (const c of cases) result(c.name ?? '', { ok: false, message: (err as Error).message });
        continue;
      }
      for (const c of cases) {
        if (c.skip) {
          result(c.name ?? '', { skipped: true });
          continue;
        }
        try {
          const message = runCase(subjects.bundle, dir, subjects.template, subjects.constraint, c);
          result(c.name ?? '', message ? { ok: false, message } : {});
        } catch (err) {
          result(c.name ?? '', { ok: false, message: (err as Error).message });
        }
      }
    }
  }
  return out;
}

/**
 * The failed cases of every suite under `root`, against a built bundle: a template's own tests,
 * run before it goes live. Skipped cases are not failures.
 */
export function suiteFailures(root: string, bundle: PolicyBundle): CaseResult[] {
  const suites = (readdirSync(root, { recursive: true }) as string[]).filter(isSuiteFile).sort();
  return suites.flatMap((s) => runSuite(root, s, bundle)).filter((r) => !r.ok && !r.skipped);
}
