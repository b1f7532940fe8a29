// The pieces of Go's net/url that OPA's URL builtins and the Kubernetes CEL URL library share.

/** Go's unescape: `%XX` decoded (and `+` as a space in a query); a malformed escape throws. */
export function percentDecode(s: string, plusIsSpace: boolean): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) throw new Error('invalid URL escape');
  const text = plusIsSpace ? s.replaceAll('+', ' ') : s;
  return Buffer.from(
    text.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

/** A URL's host (after any userinfo) as Go's Hostname() and Port() read it. */
export function splitHostPort(host: string): { hostname: string; port: string } {
  const h = host.slice(host.lastIndexOf('@') + 1);
  const v6 = /^\[([^\]]*)\](?::(\d*))?$/.exec(h);
  if (v6) return { hostname: v6[1] ?? '', port: v6[2] ?? '' };
  const colon = h.lastIndexOf(':');
  return colon < 0
    ? { hostname: h, port: '' }
    : { hostname: h.slice(0, colon), port: h.slice(colon + 1) };
}
