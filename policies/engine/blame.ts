import { sep } from 'node:path';
import { TEMPLATES_PACKAGE } from './gatekeeper/compile.js';
import { readGatekeeperObjects } from './gatekeeper/objects.js';

/**
 * The files to leave out so that a policy tree whose build failed with `message` can go live
 * without what broke it: each native policy (its folder) and each Gatekeeper template (its file
 * and the files of its constraints) the message names, and any file it names by path. Empty when
 * the message names none: then nothing is guessed. Pure.
 */
export function blamedFiles(files: Readonly<Record<string, string>>, message: string): string[] {
  const out = new Set<string>();
  const paths = Object.keys(files);
  for (const p of paths) if (message.includes(p)) out.add(p);
  for (const p of paths.filter((f) => f.endsWith(`${sep}policy.rego`))) {
    const dir = p.slice(0, -'policy.rego'.length);
    if (message.includes(dir)) for (const f of paths) if (f.startsWith(dir)) out.add(f);
  }
  const gk = readGatekeeperObjects(files, []);
  for (const t of gk.templates) {
    const named =
      out.has(t.file) ||
      message.includes(`${TEMPLATES_PACKAGE}/${t.name}/`) ||
      message.includes(`${TEMPLATES_PACKAGE}.${t.name}`);
    if (!named) continue;
    out.add(t.file);
    for (const c of gk.constraints) if (c.kind === t.kind) out.add(c.file);
  }
  return [...out].sort();
}
