// The Kubernetes CEL format library's CRD formats (uri, uuid, byte, date, datetime), with the
// messages the apiserver gives: Go's url.ParseRequestURI errors and kube-openapi's strfmt
// checks (Kubernetes 1.35 has no portName format). Pure.

/** Go's strconv.Quote for the text of an error message. */
export function goQuote(s: string): string {
  const esc: Record<string, string> = {
    '\u0007': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0) as number;
    if (esc[c]) out += esc[c];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** A bad %-escape in `s` (Go's "invalid URL escape"), if any. */
function badEscape(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') continue;
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return `invalid URL escape ${goQuote(s.slice(i, i + 3))}`;
    i += 2;
  }
  return undefined;
}

/** A host character Go's net/url refuses (shouldEscape in encodeHost mode). */
const HOST_OK = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]$/;

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  return port[0] === ':' && [...port.slice(1)].every(isDigit);
}

function hostError(host: string): string | undefined {
  let colonPort = '';
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) return "missing ']' in host";
    colonPort = host.slice(i + 1);
  } else {
    const i = host.lastIndexOf(':');
    if (i >= 0) colonPort = host.slice(i);
  }
  if (!validOptionalPort(colonPort)) return `invalid port ${goQuote(colonPort)} after host`;
  const esc = badEscape(host);
  if (esc) return esc;
  for (const c of host)
    if (c.charCodeAt(0) < 0x80 && !HOST_OK.test(c))
      return `invalid character ${goQuote(c)} in host name`;
  return undefined;
}

const USERINFO_OK = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

/** Why Go's url.ParseRequestURI refuses `s` (its error text), or undefined when it takes it. */
export function requestUriError(s: string): string | undefined {
  const fail = (why: string) => `parse ${goQuote(s)}: ${why}`;
  if ([...s].some((c) => c < ' ' || c === '\u007f'))
    return fail('net/url: invalid control character in URL');
  if (s === '') return fail('empty url');
  if (s === '*') return undefined;
  let scheme = '';
  let rest = s;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (isLetter(c)) continue;
    if (isDigit(c) || c === '+' || c === '-' || c === '.') {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme');
      [scheme, rest] = [s.slice(0, i), s.slice(i + 1)];
    }
    break;
  }
  rest =
    rest.endsWith('?') && rest.split('?').length === 2
      ? rest.slice(0, -1)
      : (rest.split('?')[0] ?? '');
  if (!rest.startsWith('/')) return scheme !== '' ? undefined : fail('invalid URI for request');
  if (scheme !== '' && rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const user = authority.slice(0, at);
      if (!USERINFO_OK.test(user)) return fail('net/url: invalid userinfo');
      const e = badEscape(user);
      if (e) return fail(e);
    }
    const h = hostError(authority.slice(at + 1));
    if (h) return fail(h);
  }
  const e = badEscape(rest);
  return e ? fail(e) : undefined;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Go's time.Parse("2006-01-02", s) succeeds. */
export function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && !leap ? 28 : (DAYS[mo - 1] as number));
}

/** kube-openapi strfmt's IsDateTime: a date, "t", then hh:mm:ss[.frac](z|±hh:mm). */
export function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0] as string)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(
    parts[1] as string,
  );
  return (
    m !== null && (m[1] as string) <= '23' && (m[2] as string) <= '59' && (m[3] as string) <= '59'
  );
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export const CRD_FORMATS: Readonly<Record<string, (v: string) => string[]>> = {
  uri: (v) => {
    const e = requestUriError(v);
    return e ? [e] : [];
  },
  uuid: (v) => (UUID.test(v) ? [] : ['does not match the UUID format']),
  byte: (v) => (BASE64.test(v) ? [] : ['invalid base64']),
  date: (v) => (isDate(v) ? [] : ['invalid date']),
  datetime: (v) => (isDateTime(v) ? [] : ['invalid datetime']),
};

/** apimachinery's maskTrailingDash: a name that will get a suffix may end in '-'. */
export const maskTrailingDash = (v: string): string =>
  v.length > 1 && v.endsWith('-') ? `${v.slice(0, -2)}a` : v;
