// The public material vendored under test/fixtures/public (see its SOURCES.md), by path.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A path under test/fixtures/public. */
export const publicFixture = (...parts: string[]): string =>
  join(import.meta.dirname, '..', 'fixtures', 'public', ...parts);

export type Doc = Record<string, unknown>;

/** Every YAML document of `text` that is a mapping. */
export const yamlDocs = (text: string): Doc[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Doc => typeof d === 'object' && d !== null && !Array.isArray(d));
