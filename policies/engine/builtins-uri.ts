// OPA's uri.parse and uri.is_valid (Go's url.Parse: what it refuses, and the parts it gives),
// and strings.split_n as the opa binary answers it. Checked against `opa eval`.
import { percentDecode, splitHostPort } from './url-parts.js';

type Url = {
  scheme: string;
  host: string;
  path: string;
  rawPath: string;
  query: string;
  fragment: string;
};

const unescape = (s: string): string => percentDecode(s, false);

/** Go's default path escaping (what EscapedPath would write without RawPath). */
export const escapePath = (p: string): string =>
  [...Buffer.from(p, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-_.~$&+,/:;=@!*'()]/.test(c)
        ? c
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

/** Go's url.Parse, for the parts OPA reports; throws what it refuses. */
export function goUrlParse(raw: string): Url {
  if ([...raw].some((c) => c < ' ' || c === '\u007f'))
    throw new Error('invalid control character in URL');
  const hash = raw.indexOf('#');
  const [rest0, frag] = hash < 0 ? [raw, ''] : [raw.slice(0, hash), raw.slice(hash + 1)];
  let rest = rest0;
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = (m[1] as string).toLowerCase();
    rest = rest.slice(m[0].length);
  }
  const q = rest.indexOf('?');
  const query = q < 0 ? '' : rest.slice(q + 1);
  rest = q < 0 ? rest : rest.slice(0, q);
  // An opaque URL (`mailto:x`): only its scheme is reported.
  if (scheme && !rest.startsWith('/'))
    return { scheme, host: '', path: '', rawPath: '', query, fragment: unescape(frag) };
  if (!scheme && /^[^/]*:/.test(rest))
    throw new Error('first path segment in URL cannot contain colon');
  let host = '';
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    host = host.slice(host.lastIndexOf('@') + 1);
    if (
      host.startsWith('[')
        ? !/^\[[^\]]*\](:\d*)?$/.test(host)
        : /[\s[\]]/.test(host) || /:.*:/.test(host) || (host.includes(':') && !/:\d*$/.test(host))
    )
      throw new Error('invalid host');
  }
  const path = unescape(rest);
  return {
    scheme,
    host,
    path,
    rawPath: escapePath(path) === rest ? '' : rest,
    query,
    fragment: unescape(frag),
  };
}

function uriParse(s: string): Record<string, string> {
  let u: Url;
  try {
    u = goUrlParse(s);
  } catch (err) {
    throw new Error(`uri.parse: ${(err as Error).message}`);
  }
  const { hostname, port } = splitHostPort(u.host);
  const all: Record<string, string> = {
    scheme: u.scheme,
    hostname,
    port,
    path: u.path,
    raw_path: u.rawPath || u.path,
    raw_query: u.query,
    fragment: u.fragment,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== ''));
}

export const uriBuiltins: Record<string, (...args: never[]) => unknown> = {
  'uri.parse': uriParse,
  'uri.is_valid': (s: unknown) => {
    if (typeof s !== 'string') return false;
    try {
      goUrlParse(s);
      return true;
    } catch {
      return false;
    }
  },
  // The opa binary's answer: the first n parts, or the last -n.
  'strings.split_n': (s: string, sep: string, n: number) => {
    if (!Number.isInteger(n))
      throw new Error(
        'strings.split_n: operand 3 must be integer number but got floating-point number',
      );
    const parts = sep === '' ? [...s] : s.split(sep);
    return n >= 0 ? parts.slice(0, n) : parts.slice(n);
  },
};
