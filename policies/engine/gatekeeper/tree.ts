import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject } from '../../../core/object.js';
import type { PolicyMeta } from '../discover.js';
import { constraintPolicies } from './compile.js';
import {
  firstLine,
  isGatekeeperFile,
  isSuiteFile,
  readGatekeeperObjects,
  type GkObjects,
} from './objects.js';

/** A YAML file larger than this is not read for Gatekeeper objects (and said so). */
export const MAX_GATEKEEPER_FILE = 1024 * 1024;

/**
 * Every file under `root` that may hold Gatekeeper objects (and, with `suites`, the suite files),
 * relative paths, sorted.
 */
export function gatekeeperFiles(root: string, suites = false): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      if (e.startsWith('.') || e === 'node_modules') continue;
      const full = join(dir, e);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const rel = relative(root, full).split(sep).join('/');
        if (isGatekeeperFile(rel) || (suites && isSuiteFile(rel))) out.push(relative(root, full));
      }
    }
  };
  walk(root);
  return out;
}

export interface GatekeeperTree {
  readonly files: readonly string[];
  readonly objects: GkObjects;
  readonly policies: readonly PolicyMeta[];
  readonly problems: readonly string[];
}

/**
 * The files gator-style suites under `root` name as test material (their constraints, objects
 * and inventories): what a suite tests with is never live. Relative paths.
 */
export function suiteFixtures(root: string, problems: string[]): Set<string> {
  const out = new Set<string>();
  const suites = (readdirSync(root, { recursive: true }) as string[]).filter(isSuiteFile);
  for (const s of suites) {
    const dir = dirname(join(root, s));
    const rel = (p: unknown): void => {
      if (typeof p === 'string') out.add(relative(root, normalize(join(dir, p))));
    };
    if (statSync(join(root, s)).size > MAX_GATEKEEPER_FILE) {
      problems.push(`${s}: larger than ${MAX_GATEKEEPER_FILE} bytes, not read`);
      continue;
    }
    const parsed = parseAllDocuments(readFileSync(join(root, s), 'utf8'));
    const broken = parsed.find((d) => d.errors.length > 0);
    if (broken) {
      // Unread, its fixtures could pass for live constraints: the tree is refused instead.
      problems.push(`${s}: not valid YAML: ${firstLine(broken.errors[0]?.message)}`);
      continue;
    }
    const docs = parsed.map((d) => d.toJS({ maxAliasCount: 50 }) as unknown);
    for (const d of docs.filter(isObject)) {
      for (const t of Array.isArray(d.tests) ? d.tests.filter(isObject) : []) {
        rel(t.constraint);
        for (const c of Array.isArray(t.cases) ? t.cases.filter(isObject) : []) {
          rel(c.object);
          for (const i of Array.isArray(c.inventory) ? c.inventory : []) rel(i);
        }
      }
    }
  }
  return out;
}

/**
 * The ConstraintTemplates and constraints under `root`, and the policies the constraints are.
 * Files a suite tests with are left out (suiteFixtures).
 */
export function readGatekeeperTree(root: string): GatekeeperTree {
  const problems: string[] = [];
  const fixtures = suiteFixtures(root, problems);
  const files = gatekeeperFiles(root).filter((f) => !fixtures.has(f));
  const texts: Record<string, string> = {};
  for (const f of files) {
    if (statSync(join(root, f)).size > MAX_GATEKEEPER_FILE) {
      problems.push(`${f}: larger than ${MAX_GATEKEEPER_FILE} bytes, not read`);
      continue;
    }
    texts[f] = readFileSync(join(root, f), 'utf8');
  }
  const objects = readGatekeeperObjects(texts, problems);
  return { files, objects, policies: constraintPolicies(objects), problems };
}
