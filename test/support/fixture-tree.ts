import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const FIXTURES = 'test/fixtures/public';

/** Every file under the named folders of the vendored fixtures, keyed by their path there. */
export function fixtureTree(folders: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(FIXTURES, p)] = readFileSync(p, 'utf8');
    }
  };
  for (const f of new Set(folders)) walk(join(FIXTURES, f));
  return out;
}
