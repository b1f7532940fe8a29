// `driftgate --version`: the version of the package this command runs from.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The version in the nearest driftgate package.json above `from` (the source tree or the
 *  installed package); undefined when there is none. */
export function packageVersion(from = import.meta.dirname): string | undefined {
  for (let d = from; d !== dirname(d); d = dirname(d)) {
    const file = join(d, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'driftgate') return pkg.version;
  }
  return undefined;
}
