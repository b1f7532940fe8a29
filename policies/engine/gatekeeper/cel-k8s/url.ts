// The Kubernetes CEL URL library: url() of an absolute URI or an absolute path, isURL(), and its
// parts (getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery), as Go's net/url
// reads them. A URL is a CEL map tagged with its text. Pure.
import { splitHostPort } from '../../url-parts.js';
import { celFunc, celMethod, CelScalar, listType, mapType, type CelMap } from '@bufbuild/cel';

const { STRING, BOOL, DYN } = CelScalar;
export const URL_TYPE = mapType(STRING, DYN);
const TAG = '\u0000k8s.url';

interface Parts {
  readonly scheme: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
}

/** An absolute URI (`scheme://…`, `scheme:opaque`) or an absolute path; else undefined. Pure. */
export function parseUrl(s: string): Parts | undefined {
  // Whitespace and control characters are refused, as net/url refuses them.
  if (s.length > 8192 || [...s].some((c) => c <= ' ' || c === '\u007f')) return undefined;
  const m =
    /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(s);
  if (!m) return undefined;
  const [, scheme = '', host = '', path = '', query = ''] = m;
  // url() takes an absolute URI, or an absolute path with no scheme.
  if (scheme === '' && (host !== '' || !path.startsWith('/'))) return undefined;
  if (host.includes('[') && !/^(?:[^@]*@)?\[[0-9A-Fa-f:.]+\](?::\d*)?$/.test(host))
    return undefined;
  if (/%(?![0-9A-Fa-f]{2})/.test(path + query)) return undefined;
  return { scheme, host, path, query };
}

const tagged = (s: string): Map<string, string> => new Map([[TAG, s]]);
function partsOf(u: CelMap): Parts {
  const s = u.get(TAG);
  const p = typeof s === 'string' && u.size === 1 ? parseUrl(s) : undefined;
  if (!p) throw new Error('no such overload: not a URL');
  return p;
}
const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return s;
  }
};

export const urlFuncs = [
  celFunc('url', [STRING], URL_TYPE, (s) => {
    if (!parseUrl(s)) throw new Error(`URL parse error during conversion from string: ${s}`);
    return tagged(s);
  }),
  celFunc('isURL', [STRING], BOOL, (s) => parseUrl(s) !== undefined),
  celMethod('getScheme', URL_TYPE, [], STRING, function () {
    return partsOf(this).scheme;
  }),
  celMethod('getHost', URL_TYPE, [], STRING, function () {
    const host = partsOf(this).host;
    return host.slice(host.lastIndexOf('@') + 1);
  }),
  celMethod('getHostname', URL_TYPE, [], STRING, function () {
    return splitHostPort(partsOf(this).host).hostname;
  }),
  celMethod('getPort', URL_TYPE, [], STRING, function () {
    return splitHostPort(partsOf(this).host).port;
  }),
  celMethod('getEscapedPath', URL_TYPE, [], STRING, function () {
    return partsOf(this).path;
  }),
  celMethod('getQuery', URL_TYPE, [], mapType(STRING, listType(STRING)), function () {
    const out = new Map<string, string[]>();
    for (const pair of partsOf(this).query.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      out.set(decode(k), [...(out.get(decode(k)) ?? []), decode(v)]);
    }
    return out;
  }),
];
