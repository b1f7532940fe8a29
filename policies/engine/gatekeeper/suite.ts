import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isObject } from '../../../core/object.js';
import type { PolicyBundle } from '../bundle.js';
import { requestTarget, inScope } from '../scope.js';
import { inventoryOf, namespaceLabels, emptyInventory } from './inventory.js';
import { isSuiteFile, readGatekeeperObjects, type GkConstraint } from './objects.js';
import { checkAssertion, type Assertion } from './assertions.js';
import { missingNamespace } from './match.js';
import { caseReview, readDocs } from './review.js';
import { expandAll, gvkOf, impliedBy, readExpansion, type GkExpansion } from './expansion.js';

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

/** Suites run at most this many cases, and stop starting cases after this long. */
export const MAX_CASES = 5_000;
export const SUITES_BUDGET_MS = 60_000;

/**
 * The file a suite names, resolved from the suite's folder and confined to the tree: a path
 * from Git never reads outside it (`../`, absolute paths and symlinks out are refused).
 */
export function inTree(root: string, dir: string, rel: unknown): string {
  if (typeof rel !== 'string' || rel === '')
    throw new Error('a suite names a file by an empty path');
  const base = realpathSync(root);
  const full = resolve(dir, rel);
  const real = existsSync(full) ? realpathSync(full) : full;
  if (real !== base && !real.startsWith(base + sep))
    throw new Error(`${rel} is outside the policy tree`);
  return full;
}

interface SuiteTest {
  readonly name?: string;
  readonly template?: string;
  readonly constraint?: string;
  /** An ExpansionTemplate file: cases are also judged as what their object generates. */
  readonly expansion?: string;
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
): {
  bundle: PolicyBundle;
  template: string;
  constraint: GkConstraint;
  expansions: GkExpansion[];
} {
  const templateFile = relative(root, inTree(root, dir, t.template));
  const template = bundle?.built.templates?.find((x) => x.file === templateFile);
  if (!bundle || !template)
    throw new Error(`template ${t.template} is not among the built templates`);
  const constraintFile = inTree(root, dir, t.constraint);
  const problems: string[] = [];
  const texts = {
    [templateFile]: readFileSync(join(root, templateFile), 'utf8'),
    [relative(root, constraintFile)]: readFileSync(constraintFile, 'utf8'),
  };
  const objects = readGatekeeperObjects(texts, problems);
  const constraint = objects.constraints[0];
  const file = t.expansion === undefined ? undefined : inTree(root, dir, t.expansion);
  const expansions = file
    ? readDocs(file).flatMap((d) => readExpansion(d, relative(root, file), problems) ?? [])
    : [];
  if (problems.length > 0 || !constraint)
    throw new Error(problems.join('; ') || `${t.constraint} holds no constraint`);
  return { bundle, template: template.name, constraint, expansions };
}

/** Run one case: match, evaluate the template with Gatekeeper's input, check the assertions. */
function runCase(
  bundle: PolicyBundle,
  root: string,
  dir: string,
  template: string,
  constraint: GkConstraint,
  c: NonNullable<SuiteTest['cases']>[number],
  expansions: readonly GkExpansion[] = [],
): string | undefined {
  // gator runs only the constraints its enforcement point takes.
  if (constraint.gator === 'none') return assertionsFailed(c, []);
  const review = caseReview(inTree(root, dir, c.object));
  const inventory = inventoryOf((c.inventory ?? []).flatMap((f) => readDocs(inTree(root, dir, f))));
  const namespace = typeof review.namespace === 'string' ? review.namespace : '';
  const labels = namespaceLabels(inventory, namespace);
  // A namespaceSelector for a namespaced object whose Namespace the case does not give: gator
  // reports its match error as the one violation, and judges nothing.
  const policy = { gatekeeper: constraint.match ? { match: constraint.match } : {} };
  if (constraint.match?.namespaceSelector && namespace !== '' && labels === undefined) {
    const { namespaceSelector: _, ...rest } = constraint.match;
    if (inScope({ gatekeeper: { match: rest } }, requestTarget(review)))
      return assertionsFailed(c, [missingNamespace(String(review.name ?? ''))]);
  }
  // The object, then what it generates (gator's expansion), each judged if the match takes it.
  const reviews = [
    { review, target: requestTarget(review, labels), prefix: (m: string) => m },
    ...expandAll(review.object, expansions).map((e) => {
      const child = { ...review, kind: gvkOf(e.object), object: e.object, oldObject: null };
      const target = { ...requestTarget(child, labels), generated: true };
      return { review: child, target, prefix: (m: string) => impliedBy(e.template, m) };
    }),
  ];
  const messages: string[] = [];
  bundle.setInventory(inventory);
  try {
    for (const r of reviews.filter((x) => inScope(policy, x.target))) {
      let vs: unknown[];
      try {
        vs = bundle.evaluateTemplate(template, {
          review: r.review,
          parameters: constraint.parameters,
        });
      } catch (err) {
        // An evaluation error is one violation saying so, as gator reports it.
        messages.push(r.prefix(evaluationError(err)));
        continue;
      }
      for (const v of vs)
        messages.push(
          r.prefix(isObject(v) && typeof v.msg === 'string' ? v.msg : JSON.stringify(v)),
        );
    }
  } finally {
    bundle.setInventory(emptyInventory());
  }
  return assertionsFailed(c, messages);
}

/** An evaluation error in gator's words (OPA's error code; the build's temporary path left out). */
function evaluationError(err: unknown): string {
  const text = typeof err === 'string' ? err : String((err as Error)?.message ?? err);
  if (/var assignment conflict/.test(text))
    return 'eval_conflict_error: complete rules must not produce multiple outputs';
  return text.replace(/^\S*\/gatekeeper_templates\/[^:]*:/, 'template:');
}

/** What of a case's assertions the messages fail, or undefined. */
function assertionsFailed(
  c: NonNullable<SuiteTest['cases']>[number],
  messages: readonly string[],
): string | undefined {
  const failures = (c.assertions ?? []).map((a) => checkAssertion(a, messages)).filter(Boolean);
  return failures.length > 0
    ? `${failures.join('; ')}: got messages ${JSON.stringify(messages)}`
    : undefined;
}

/** What suites may still spend: cases, and a deadline (ms since the epoch). */
export interface SuiteBudget {
  cases: number;
  readonly deadline: number;
}

const newBudget = (): SuiteBudget => ({
  cases: MAX_CASES,
  deadline: Date.now() + SUITES_BUDGET_MS,
});

interface TestRun {
  readonly root: string;
  readonly dir: string;
  readonly bundle: PolicyBundle | undefined;
  readonly unsupported: ReadonlyMap<string, string>;
  readonly budget: SuiteBudget;
  readonly result: (test: string, name: string, r: Partial<CaseResult>) => void;
}

/** One test of a suite: every case, or each one's reason when the test cannot run. */
function runTest(run: TestRun, t: SuiteTest): void {
  const { root, dir, budget } = run;
  const test = t.name ?? '';
  const cases = t.cases ?? [];
  const all = (r: Partial<CaseResult>): void => {
    for (const c of cases) run.result(test, c.name ?? '', r);
  };
  if (t.skip) return all({ skipped: true });
  const why = run.unsupported.get(relative(root, resolve(dir, String(t.template ?? ''))));
  if (why !== undefined) return all({ ok: false, unsupported: why });
  let subjects: ReturnType<typeof testSubjects>;
  try {
    subjects = testSubjects(root, dir, t, run.bundle);
  } catch (err) {
    return all({ ok: false, message: (err as Error).message });
  }
  for (const c of cases) {
    const name = c.name ?? '';
    if (c.skip) {
      run.result(test, name, { skipped: true });
      continue;
    }
    if (budget.cases-- <= 0 || Date.now() > budget.deadline) {
      const limits = `${MAX_CASES} cases, ${SUITES_BUDGET_MS / 1000} s`;
      run.result(test, name, {
        ok: false,
        message: `not run: the suites' budget (${limits}) is spent`,
      });
      continue;
    }
    try {
      const message = runCase(
        subjects.bundle,
        root,
        dir,
        subjects.template,
        subjects.constraint,
        c,
        subjects.expansions,
      );
      run.result(test, name, message ? { ok: false, message } : {});
    } catch (err) {
      run.result(test, name, { ok: false, message: (err as Error).message });
    }
  }
}

/** Every case of one suite file; a test whose template or constraint cannot be read fails whole. */
export function runSuite(
  root: string,
  file: string,
  bundle: PolicyBundle | undefined,
  unsupported: ReadonlyMap<string, string> = new Map(),
  budget: SuiteBudget = newBudget(),
): CaseResult[] {
  const out: CaseResult[] = [];
  const result = (test: string, name: string, r: Partial<CaseResult>): void =>
    void out.push({ suite: file, test, case: name, ok: true, ...r });
  let docs: Record<string, unknown>[];
  try {
    docs = readDocs(join(root, file));
  } catch (err) {
    result('', '', { ok: false, message: (err as Error).message });
    return out;
  }
  const run: TestRun = {
    root,
    dir: dirname(join(root, file)),
    bundle,
    unsupported,
    budget,
    result,
  };
  for (const suite of docs.filter((d) => d.kind === 'Suite'))
    for (const t of (Array.isArray(suite.tests) ? suite.tests : []) as SuiteTest[]) runTest(run, t);
  return out;
}

/**
 * The failed cases of every suite under `root`, against a built bundle: a template's own tests,
 * run before it goes live. Skipped cases are not failures.
 */
export function suiteFailures(root: string, bundle: PolicyBundle): CaseResult[] {
  const suites = (readdirSync(root, { recursive: true }) as string[]).filter(isSuiteFile).sort();
  const budget = newBudget();
  return suites
    .flatMap((s) => runSuite(root, s, bundle, new Map(), budget))
    .filter((r) => !r.ok && !r.skipped);
}
