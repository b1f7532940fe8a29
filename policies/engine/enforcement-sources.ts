import { sep } from 'node:path';
import { stringify } from 'yaml';
import {
  ENFORCEMENT_FILE,
  mergeEnforcement,
  parseEnforcementFile,
  type EnforcementConfig,
} from './enforcement.js';

/** One source's policy files and how far its enforcement file reaches. */
export interface SourcePolicies {
  readonly files: Readonly<Record<string, string>>;
  /**
   * `own`: its enforcement file may name only the policies it carries. `all`: any policy,
   * the built-in library's included (the platform's policy repository). @default own
   */
  readonly enforcement?: 'own' | 'all';
  /**
   * A tenant's policies (a GitSource's policyPath) speak only inside these namespaces; undefined
   * for the platform's, which speak cluster-wide.
   */
  readonly namespaces?: readonly string[];
}

/** The policy ids a source's files carry (`<category>/<name>/policy.rego`). */
const carried = (files: Readonly<Record<string, string>>): Set<string> =>
  new Set(
    Object.keys(files)
      .filter((f) => f.endsWith(`${sep}policy.rego`))
      .map((f) => f.split(sep).slice(0, -1).join('/')),
  );

/**
 * The sources' enforcement files as one (its text for the composed tree, undefined when no
 * source has one), and the sources' files without theirs. A source naming a policy it does not
 * carry (without `all`), or two sources naming the same policy, is a problem: nothing is merged
 * then, so the last good policies stay. Pure.
 */
export function combineEnforcement(sources: ReadonlyMap<string, SourcePolicies>): {
  readonly text?: string;
  readonly files: Map<string, Readonly<Record<string, string>>>;
  readonly problems: string[];
} {
  const problems: string[] = [];
  const files = new Map<string, Readonly<Record<string, string>>>();
  const owner = new Map<string, string>();
  let merged: EnforcementConfig = {};
  let any = false;
  for (const [name, s] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    const { [ENFORCEMENT_FILE]: text, ...rest } = s.files;
    files.set(name, rest);
    if (text === undefined) continue;
    any = true;
    const cfg = parseEnforcementFile(text, `source ${name}: ${ENFORCEMENT_FILE}`, problems);
    const own = carried(rest);
    for (const id of Object.keys(cfg)) {
      if (s.enforcement !== 'all' && !own.has(id))
        problems.push(
          `source ${name}: ${ENFORCEMENT_FILE} names ${id}, which it does not carry (its enforcement is "own")`,
        );
      const taken = owner.get(id);
      if (taken)
        problems.push(`source ${name}: ${ENFORCEMENT_FILE} names ${id}, as source ${taken} does`);
      owner.set(id, name);
    }
    merged = mergeEnforcement(merged, cfg);
  }
  if (!any || problems.length > 0) return { files, problems };
  return { text: stringify({ policies: merged }), files, problems };
}
