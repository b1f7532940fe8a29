import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuiltBundle } from './built.js';
import type { PolicyMeta } from './discover.js';

/** Feed each file's path and content into `h` (the bundle revision and the cache key). */
export function hashFiles(h: Hash, root: string, files: readonly string[]): Hash {
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(root, f)))
      .update('\0');
  return h;
}

/**
 * Changes whenever driftgate compiles the same sources differently (2: namespaceObject in the
 * Gatekeeper review, v0 manifests, CEL templates, expansions and mutators in the bundle; 3: a
 * template with CEL and Rego runs its CEL, external_data, Providers in the bundle).
 */
export const BUILD_FORMAT = 'gatekeeper-4';

/**
 * Built bundles remembered by content (`driftgate check`): the same Rego files, the same policy
 * metadata (actions, scopes, parameters) and the same opa binary build the same tested wasm, so
 * a second check of unchanged policies skips `opa test` and `opa build`.
 */
export function builtKey(
  root: string,
  files: readonly string[],
  policies: readonly PolicyMeta[],
  opaPath: string,
): string {
  const h = createHash('sha256');
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(root, f)))
      .update('\0');
  // The format of what driftgate compiles (entry module, Gatekeeper wrappers): a new one rebuilds.
  h.update(JSON.stringify(policies)).update('\0').update(BUILD_FORMAT).update('\0').update(opaPath);
  try {
    const s = statSync(opaPath);
    h.update(`\0${s.size}\0${s.mtimeMs}`);
  } catch {
    // A name on PATH: the name alone (a different opa there is a different path next time).
  }
  return h.digest('hex');
}

/** The remembered bundle for `key`, or undefined (absent or unreadable: build again). */
export function readBuilt(dir: string, key: string): BuiltBundle | undefined {
  const meta = join(dir, `${key}.json`);
  const wasm = join(dir, `${key}.wasm`);
  if (!existsSync(meta) || !existsSync(wasm)) return undefined;
  try {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as Omit<BuiltBundle, 'wasm'>;
    return { ...m, wasm: readFileSync(wasm) };
  } catch {
    return undefined;
  }
}

/** Remember a built bundle; written aside and renamed, so a reader never sees half of it. */
export function writeBuilt(dir: string, key: string, built: BuiltBundle): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `.${process.pid}.${Date.now()}`;
  writeFileSync(join(dir, `${key}.wasm${tmp}`), built.wasm);
  writeFileSync(
    join(dir, `${key}.json${tmp}`),
    JSON.stringify({
      revision: built.revision,
      policies: built.policies,
      ...(built.templates ? { templates: built.templates } : {}),
      ...(built.expansions ? { expansions: built.expansions } : {}),
      ...(built.mutators ? { mutators: built.mutators } : {}),
      ...(built.mutatorConflicts ? { mutatorConflicts: built.mutatorConflicts } : {}),
    }),
  );
  renameSync(join(dir, `${key}.wasm${tmp}`), join(dir, `${key}.wasm`));
  renameSync(join(dir, `${key}.json${tmp}`), join(dir, `${key}.json`));
}
