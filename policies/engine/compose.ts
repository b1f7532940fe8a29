import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { regoFiles } from './discover.js';
import { gatekeeperFiles } from './gatekeeper/tree.js';

/**
 * Whether a file belongs to a policy tree: Rego, and YAML (each policy's policy.yaml, the tree's
 * enforcement file at its root, Gatekeeper's templates and constraints, and gator-style suites
 * with their samples).
 */
export const isPolicyFile = (path: string): boolean =>
  path.endsWith('.rego') || path.endsWith('.yaml') || path.endsWith('.yml');

/**
 * The policy files of a directory (Rego, policy.yaml, Gatekeeper templates and constraints,
 * suites and their samples), relative path → text: a built-in library. Its enforcement file, if
 * any, is not read: the platform's word comes from the chart (bootstrap) and from Git.
 */
export function readPolicyFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of gatekeeperFiles(root, true)) out[f] = readFileSync(join(root, f), 'utf8');
  for (const f of regoFiles(root)) {
    out[f] = readFileSync(join(root, f), 'utf8');
    const meta = join(dirname(f), 'policy.yaml');
    try {
      out[meta] = readFileSync(join(root, meta), 'utf8');
    } catch {
      // no policy.yaml: defaults apply
    }
  }
  return out;
}

/**
 * Write one policy tree to a fresh directory under `parent`: the built-in library (if any), then
 * the files from Git on top (callers check isolationProblems first, so nothing is replaced). Paths
 * that leave the tree are refused. Returns the directory and a remover.
 */
export function composePolicyTree(
  parent: string,
  layers: readonly Readonly<Record<string, string>>[],
): { dir: string; remove(): void } {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'tree-'));
  for (const files of layers) {
    for (const [rel, text] of Object.entries(files)) {
      const clean = normalize(rel);
      if (clean.startsWith('..') || clean.startsWith(sep) || !isPolicyFile(clean))
        throw new Error(`policy file ${rel} is outside the policy tree or not a policy file`);
      mkdirSync(dirname(join(dir, clean)), { recursive: true });
      writeFileSync(join(dir, clean), text);
    }
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
