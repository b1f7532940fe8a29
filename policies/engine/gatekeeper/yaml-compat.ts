// Gatekeeper reads its YAML with Go's parser, which takes some text YAML 1.2 refuses: a
// double-quoted scalar continued at its key's indentation (the library's httpsonly template).
// A Gatekeeper file the strict parser refuses is read again leniently (js-yaml, which takes it
// as Go does), bounded: small files without anchors only, so an alias cannot multiply it.
import { loadAll } from 'js-yaml';
import { parseAllDocuments } from 'yaml';

/** A file larger than this is not read leniently. */
const MAX_LENIENT_BYTES = 1024 * 1024;
/** An anchor (`&name` where a node starts): aliases of it could multiply the document. */
const ANCHOR = /(^|[\s:,[{-])&[^\s,\]}]+/m;

/** The documents of `text` as Go's YAML parser reads them; undefined when not even so. */
export function lenientDocuments(text: string): unknown[] | undefined {
  if (Buffer.byteLength(text) > MAX_LENIENT_BYTES || ANCHOR.test(text)) return undefined;
  try {
    return loadAll(text);
  } catch {
    return undefined;
  }
}

/**
 * The documents of a Gatekeeper policy file: read strictly, else (only a file naming
 * Gatekeeper's groups) leniently; a document neither reads is left out, and a file naming
 * Gatekeeper is then a problem (sample objects beside templates may be anything).
 */
export function gatekeeperDocuments(file: string, text: string, problems: string[]): unknown[] {
  const parsed = parseAllDocuments(text);
  const broken = parsed.find((d) => d.errors.length > 0);
  if (!broken) return parsed.map((d) => d.toJS({ maxAliasCount: 50 }) as unknown);
  const named = text.includes('gatekeeper.sh');
  const lenient = named ? lenientDocuments(text) : undefined;
  if (lenient) return lenient;
  if (named)
    problems.push(`${file}: not valid YAML: ${(broken.errors[0]?.message ?? '').split('\n')[0]}`);
  return parsed.filter((d) => d.errors.length === 0).map((d) => d.toJS({ maxAliasCount: 50 }));
}
