/** A commit object split into what was signed and the signature (git's own rules). */
export interface ParsedCommit {
  readonly tree: string;
  readonly parents: readonly string[];
  readonly committer: { readonly name: string; readonly email: string; readonly timestamp: number };
  readonly author: { readonly name: string; readonly email: string; readonly timestamp: number };
  /** The armored signature from the gpgsig (or gpgsig-sha256) header, undefined if unsigned. */
  readonly signature?: string;
  /** The exact bytes the signature covers: the commit without its signature header. */
  readonly payload: Buffer;
  readonly message: string;
}

const SIG_HEADERS = new Set(['gpgsig', 'gpgsig-sha256']);

function person(value: string): { name: string; email: string; timestamp: number } {
  const m = /^(.*) <([^>]*)> (\d+) [+-]\d{4}$/.exec(value);
  if (!m) throw new Error(`malformed identity line: ${value.slice(0, 80)}`);
  return { name: m[1] ?? '', email: m[2] ?? '', timestamp: Number(m[3]) };
}

/**
 * Parse a raw commit object. The payload is rebuilt byte for byte as git does when it verifies:
 * every header line except the signature header and its continuation lines. Throws on a
 * malformed commit (not retryable).
 */
export function parseCommit(raw: Buffer | Uint8Array): ParsedCommit {
  const text = Buffer.from(raw).toString('utf8');
  const end = text.indexOf('\n\n');
  const headerText = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  const lines = headerText.split('\n');
  const kept: string[] = [];
  const headers = new Map<string, string[]>();
  let signature: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    let value = line.slice(space + 1);
    const continuation: string[] = [];
    while ((lines[i + 1] ?? '').startsWith(' ')) continuation.push((lines[++i] ?? '').slice(1));
    if (SIG_HEADERS.has(key)) {
      signature = [value, ...continuation].join('\n') + '\n';
      continue;
    }
    kept.push(line, ...continuation.map((c) => ` ${c}`));
    if (continuation.length > 0) value = [value, ...continuation].join('\n');
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  const one = (k: string): string => {
    const v = headers.get(k)?.[0];
    if (v === undefined) throw new Error(`commit has no ${k} header`);
    return v;
  };
  const payload = Buffer.from(kept.join('\n') + (end < 0 ? '' : '\n\n' + message), 'utf8');
  return {
    tree: one('tree'),
    parents: headers.get('parent') ?? [],
    author: person(one('author')),
    committer: person(one('committer')),
    ...(signature === undefined ? {} : { signature }),
    payload,
    message,
  };
}
