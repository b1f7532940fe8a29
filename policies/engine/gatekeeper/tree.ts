import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { PolicyMeta } from '../discover.js';
import { constraintPolicies } from './compile.js';
import { isGatekeeperFile, readGatekeeperObjects, type GkObjects } from './objects.js';

/** A YAML file larger than this is not read for Gatekeeper objects (and said so). */
export const MAX_GATEKEEPER_FILE = 1024 * 1024;

/** Every file under `root` that may hold Gatekeeper objects, relative paths, sorted. */
export function gatekeeperFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      if (e.startsWith('.') || e === 'node_modules') continue;
      const full = join(dir, e);
      if (statSync(full).isDirectory()) walk(full);
      else if (isGatekeeperFile(relative(root, full).split(sep).join('/')))
        out.push(relative(root, full));
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

/** The ConstraintTemplates and constraints under `root`, and the policies the constraints are. */
export function readGatekeeperTree(root: string): GatekeeperTree {
  const problems: string[] = [];
  const files = gatekeeperFiles(root);
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
