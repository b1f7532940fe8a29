// The Kubernetes CEL format library: format.dns1123Label(), dns1123Subdomain(), dns1035Label(),
// qualifiedName(), labelValue(), the *Prefix variants, the CRD formats uri(), uuid(),
// byte(), date(), datetime() (format-crd.ts) and format.named(name), each with validate(value)
// giving an optional list of apimachinery's own messages (empty: optional.none()), a CEL
// optional of cel-optional/. Pure.
import { celFunc, celMethod, CelScalar, mapType } from '@bufbuild/cel';
import { NONE, some } from '../cel-optional/runtime.js';
import { CRD_FORMATS, maskTrailingDash } from './format-crd.js';

const { STRING } = CelScalar;
const TAGGED = mapType(STRING, CelScalar.DYN);
const FORMAT = '\u0000k8s.format';

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;
const DNS1035 = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QNAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const full = (re: string) => new RegExp(`^(?:${re})$`);

/** apimachinery's RegexError: the message, its examples and the regex. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}
const maxLen = (n: number) => `must be no more than ${n} characters`;

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QNAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function dns1123Subdomain(v: string): string[] {
  const errs = v.length > 253 ? [maxLen(253)] : [];
  if (!full(SUBDOMAIN).test(v)) errs.push(regexError(SUBDOMAIN_MSG, SUBDOMAIN, 'example.com'));
  return errs;
}

function dns1123Label(v: string): string[] {
  const errs = v.length > 63 ? [maxLen(63)] : [];
  if (!full(LABEL).test(v))
    errs.push(
      full(SUBDOMAIN).test(v)
        ? 'must not contain dots'
        : regexError(LABEL_MSG, LABEL, 'my-name', '123-abc'),
    );
  return errs;
}

function qualifiedName(v: string): string[] {
  const parts = v.split('/');
  const errs: string[] = [];
  if (parts.length > 2)
    return [
      `a valid label key ${regexError(QNAME_MSG, QNAME, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  const name = parts.length === 2 ? (parts[1] ?? '') : v;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') errs.push('prefix part must be non-empty');
    else errs.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (!full(QNAME).test(name))
    errs.push(`name part ${regexError(QNAME_MSG, QNAME, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

const dns1035Label = (v: string): string[] => [
  ...(v.length > 63 ? [maxLen(63)] : []),
  ...(full(DNS1035).test(v) ? [] : [regexError(DNS1035_MSG, DNS1035, 'my-name', 'abc-123')]),
];

const FORMATS: Readonly<Record<string, (v: string) => string[]>> = {
  dns1123Label,
  dns1123Subdomain,
  dns1035Label,
  dns1123LabelPrefix: (v) => dns1123Label(maskTrailingDash(v)),
  dns1123SubdomainPrefix: (v) => dns1123Subdomain(maskTrailingDash(v)),
  dns1035LabelPrefix: (v) => dns1035Label(maskTrailingDash(v)),
  ...CRD_FORMATS,
  qualifiedName,
  labelValue: (v) => [
    ...(v.length > 63 ? [maxLen(63)] : []),
    ...(full(`(${QNAME})?`).test(v)
      ? []
      : [regexError(VALUE_MSG, `(${QNAME})?`, 'MyValue', 'my_value', '12345')]),
  ],
};

const format = (name: string) => new Map([[FORMAT, name]]);
const optional = (value?: Map<string, string> | string[]) =>
  value === undefined ? NONE : some(value);

export const formatFuncs = [
  ...Object.keys(FORMATS).map((name) => celFunc(`format.${name}`, [], TAGGED, () => format(name))),
  celFunc(
    'format.named',
    [STRING],
    TAGGED,
    (name) => optional(FORMATS[name] ? format(name) : undefined) as never,
  ),
  celMethod('validate', TAGGED, [STRING], TAGGED, function (value) {
    const check = FORMATS[String(this.get(FORMAT))];
    if (!check) throw new Error('no such overload: not a format');
    const errs = check(value);
    return optional(errs.length > 0 ? errs : undefined) as never;
  }),
];
