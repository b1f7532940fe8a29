import t from 'tap';
import {
  anyPrefixMatch,
  anySuffixMatch,
  customBuiltins,
  parseBytes,
  regexReplace,
  semverCompare,
} from '../../../policies/engine/builtins.js';
import { parseRfc3339Ns, unitsParse } from '../../../policies/engine/builtins-opa.js';
import { readTarGzEntry } from '../../../policies/engine/tar.js';
import { gzipSync } from 'node:zlib';

/** A builtin as opa-wasm calls it, by name. */
const call = (name: string, ...args: unknown[]): unknown =>
  (customBuiltins() as Record<string, (...a: unknown[]) => unknown>)[name]?.(...args);

t.test('units.parse_bytes', async (t) => {
  const table: [string, number][] = [
    ['0', 0],
    ['512', 512],
    ['10KB', 10_000],
    ['5K', 5_000],
    ['4mib', 4 * 2 ** 20],
    ['2Gi', 2 * 2 ** 30],
    ['1.5e3MB', 1.5e9],
    ['1TiB', 2 ** 40],
    ['"3M"', 3e6],
  ];
  for (const [given, want] of table) t.equal(parseBytes(given), want, given);
  t.throws(() => parseBytes('12 parsecs'), /could not parse byte amount "12 parsecs"/);
});

t.test('semver.compare follows SemVer 2.0 precedence', async (t) => {
  const table: [string, string, number][] = [
    ['1.0.0', '1.0.0', 0],
    ['1.10.0', '1.9.9', 1],
    ['0.1.0', '0.2.0', -1],
    ['1.0.0-alpha', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.11', '1.0.0-beta.2', 1],
    ['1.0.0-rc.1', '1.0.0-beta', 1],
    ['v1.2.3', '1.2.3', 0],
    ['1.0.0+build.1', '1.0.0+build.2', 0],
  ];
  for (const [a, b, want] of table) t.equal(semverCompare(a, b), want, `${a} vs ${b}`);
  t.throws(() => semverCompare('1.2', '1.2.0'), /operand 1: string "1\.2" is not a valid SemVer/);
  t.throws(() => semverCompare('1.2.0', 'x'), /operand 2: string "x" is not a valid SemVer/);
});

t.test('regex.replace uses Go-style group references', async (t) => {
  t.equal(regexReplace('image:1.2.3', ':(\\d+)\\.\\d+\\.\\d+$', ':${1}.x'), 'image:1.x');
  t.equal(regexReplace('a-b-c', '-', '_'), 'a_b_c', 'replaces all');
});

t.test('tar reader finds an entry and reports a missing one', async (t) => {
  const header = (name: string, size: number): Buffer => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write(size.toString(8).padStart(11, '0'), 124);
    return h;
  };
  const body = Buffer.from('hello');
  const tar = Buffer.concat([
    header('/data.json', 2),
    Buffer.from('{}'.padEnd(512, '\0')),
    header('/policy.wasm', 5),
    Buffer.concat([body, Buffer.alloc(507)]),
    Buffer.alloc(1024),
  ]);
  t.same(readTarGzEntry(gzipSync(tar), 'policy.wasm'), body);
  t.equal(readTarGzEntry(gzipSync(tar), 'missing'), undefined);
});

t.test('strings.any_prefix_match and any_suffix_match, as OPA defines them', async (t) => {
  t.equal(anyPrefixMatch('ghcr.io/acme/app', 'ghcr.io/'), true);
  t.equal(anyPrefixMatch(['nginx:1', 'ghcr.io/x'], ['docker.io/', 'ghcr.io/']), true);
  t.equal(anyPrefixMatch(['nginx:1'], ['docker.io/']), false);
  t.equal(anyPrefixMatch([], ['x']), false);
  t.equal(anySuffixMatch('app:latest', [':latest', ':dev']), true);
  t.equal(anySuffixMatch(['app:1'], ':latest'), false);
  t.throws(() => anyPrefixMatch(7, 'x'), /strings.any_prefix_match: operand 1 must be one of/);
  t.throws(
    () => anySuffixMatch('x', [1]),
    /strings.any_suffix_match: operand 2 must be array of strings but got array containing number/,
  );
});

t.test('time.parse_rfc3339_ns: exact nanoseconds, zones, and Go’s refusal', async (t) => {
  const ns = (s: string) => JSON.stringify(parseRfc3339Ns(s));
  t.equal(ns('2017-06-02T19:00:00-07:00'), '1496455200000000000', 'OPA’s documented example');
  t.equal(ns('1970-01-01T00:00:00.123456789Z'), '123456789', 'nanoseconds kept');
  t.equal(ns('2024-02-29T23:59:59.5+01:30'), '1709245799500000000');
  t.throws(() => parseRfc3339Ns('2024-13-01T00:00:00Z'), /time\.parse_rfc3339_ns: parsing time/);
  t.throws(() => parseRfc3339Ns('yesterday'), /cannot parse/);
});

t.test('units.parse: exact decimals across the JSON boundary', async (t) => {
  t.equal(JSON.stringify(unitsParse('1.1Ki')), '1126.4');
  t.equal(JSON.stringify(unitsParse('10Ei')), '11529215046068469760');
  t.equal(JSON.stringify(unitsParse('-3.5E2m')), '-0.35');
  t.throws(() => unitsParse('10X'), /units\.parse: unit X not recognized/);
});

t.test('the extra builtins refuse what OPA refuses', async (t) => {
  t.throws(() => call('urlquery.decode', '%zz'), /urlquery.decode: invalid URL escape/);
  t.throws(() => call('urlquery.decode_object', 'a=1;b=2'), /invalid semicolon separator/);
  t.equal(call('json.patch', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), undefined);
  t.equal(call('json.patch', { a: 1 }, 'not a list'), undefined);
  t.throws(() => call('time.diff', 'x', 1), /time.diff: operand 1 must be a number/);
  // Rego v0's deprecated casts: the value of the right type, else an error.
  t.same(call('cast_array', [1]), [1]);
  t.throws(() => call('cast_array', 'x'), /cast_array: operand 1 has the wrong type/);
  t.equal(call('cast_boolean', true), true);
  t.equal(call('cast_null', null), null);
  t.same(call('cast_object', { a: 1 }), { a: 1 });
  t.equal(call('cast_string', 's'), 's');
  t.throws(() => call('cast_string', 1), /cast_string/);
  t.equal(call('trace', 'note'), true);
  t.equal(call('net.cidr_is_valid', 7), false);
});

t.test('io.jwt: what cannot be read is an error; a wrong key is false', async (t) => {
  t.throws(() => call('io.jwt.decode', 'a.b'), /io.jwt.decode: encoded JWT must have 3 sections/);
  t.throws(() => call('io.jwt.decode', 'e30.!!.x'), /must have 3 sections/);
  t.throws(() => call('io.jwt.decode', 'bm90IGpzb24.e30.'), /JWT is not valid JSON/);
  t.throws(() => call('io.jwt.verify_rs256', 'e30.e30.', 'not a key'), /failed to parse a PEM/);
  t.throws(() => call('io.jwt.verify_hs256', 'e30.e30.', 7), /secret must be a string/);
  t.equal(call('io.jwt.verify_hs256', 'e30.e30.', 'secret'), false, 'an empty signature');
  t.throws(() => call('io.jwt.decode', 'x'.repeat(1024 * 1024 + 1)), /3 sections/, 'bounded');
});

t.test(
  'uuid.parse, json.marshal_with_options, regex.template_match refuse what OPA refuses',
  async (t) => {
    t.throws(() => call('uuid.parse', 'zz'), /uuid.parse: invalid UUID/);
    t.throws(() => call('uuid.parse', '{f47ac10b-58cc-4372-a567-0e02b2c3d479'), /invalid UUID/);
    t.throws(() => call('json.marshal_with_options', {}, { colour: 'red' }), /only pretty, indent/);
    t.equal(call('json.marshal_with_options', { a: 1 }, {}), '{"a":1}', 'no options: compact');
    t.throws(() => call('regex.template_match', 'a{b', 'ab', '{', '}'), /unbalanced delimiters/);
    t.throws(() => call('regex.template_match', 'a', 'a', '{{', '}'), /one character/);
  },
);

t.test('time.format and time.parse_ns refuse what Go refuses', async (t) => {
  t.throws(() => call('time.parse_ns', '2006-01-02', '2024-13-01'), /value out of range/);
  t.throws(() => call('time.parse_ns', '2006-01-02', '2023-02-29'), /value out of range/);
  t.throws(() => call('time.parse_ns', '2006-01-02', '2024-03-01x'), /cannot parse/);
  t.throws(() => call('time.parse_ns', '3:04PM', '13:04PM'), /cannot parse/);
  t.throws(() => call('time.parse_ns', 'Z07:00', '+0200'), /cannot parse/);
  t.throws(() => call('time.parse_ns', 1, 'x'), /operands must be strings/);
  t.equal(JSON.stringify(call('time.parse_ns', '2006-01-02', '2024-02-29')), '1709164800000000000');
  t.throws(() => call('time.format', [0, 'Mars/Olympus']), /unknown time zone Mars\/Olympus/);
  t.throws(() => call('time.format', 'yesterday'), /operand 1 must be a number/);
  t.equal(call('time.format', [0, 'Local', '2006']), '1970', 'Local: this process runs in UTC');
});

t.test('uri.parse refuses what Go’s url.Parse refuses', async (t) => {
  t.throws(() => call('uri.parse', '%zz'), /uri.parse: invalid URL escape/);
  t.throws(() => call('uri.parse', 'http://x/\u0001'), /invalid control character/);
  t.throws(() => call('uri.parse', ' http://x'), /first path segment in URL cannot contain colon/);
  t.throws(() => call('uri.parse', 'http://[::1'), /invalid host/);
  t.equal(call('uri.is_valid', 7), false);
});
