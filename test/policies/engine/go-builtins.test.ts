// OPA's own builtins from opa-builtins.wasm (go-builtins.ts), installed beside opa by
// scripts/tools.sh: every one of GO_BUILTINS gives what the opa binary gives, on certificates,
// keys, a CSR, schemas, GraphQL and Rego made here; integers past 2^53 cross exactly; a schema
// cannot reach the network or the file system; oversized arguments are refused; a policy using
// them runs through the bundle the webhook evaluates.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadBundle, wellFormedJson } from '../../../policies/engine/bundle.js';
import { buildBundle } from '../../../policies/engine/build.js';

import { GO_BUILTINS, goBuiltinsBeside } from '../../../policies/engine/go-builtins.js';
import { boundMemory } from '../../../policies/engine/go-wasi.js';
import { EvalPool } from '../../../policies/engine/pool/pool.js';

import { createCertificate } from '../../../webhook/tls/pki.js';
import { GOOD_POLICY, policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';
import { bothWays, resultOf, wasmModule } from '../../support/wasm-module.js';

const opa = toolPath('opa');
const ca = createCertificate({ commonName: 'Test Root', usage: 'ca', organizations: ['Acme'] });
const leaf = createCertificate({
  commonName: 'svc.team-a',
  usage: 'server',
  dnsNames: ['svc.team-a.svc', 'svc.team-a.svc.cluster.local'],
  ipAddresses: ['10.0.0.7', 'fd00::7'],
  issuer: ca,
});
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const schema = {
  type: 'object',
  properties: { replicas: { type: 'integer', minimum: 1 }, image: { pattern: '^registry\\.' } },
  required: ['replicas', 'image'],
};
const gqlSchema =
  'type Query { employee(id: ID!): Employee }\ntype Employee { id: ID! salary: Int }';
const input = {
  chain: leaf.certPem + ca.certPem,
  rootFirst: ca.certPem + leaf.certPem,
  leaf: leaf.certPem,
  leafKey: leaf.keyPem,
  pkcs1: rsa.export({ type: 'pkcs1', format: 'pem' }).toString(),
  sec1: ec.export({ type: 'sec1', format: 'pem' }).toString(),
  csr: readFileSync(new URL('../../fixtures/x509/request.csr.pem', import.meta.url), 'utf8'),
  template:
    '{{range $i, $n := .names}}{{if $i}}, {{end}}{{printf "%q" $n}}{{end}} ({{len .names}})',
  vars: { names: ['a<b', 'é'] },
  schema,
  good: { replicas: 2, image: 'registry.example/app' },
  bad: { replicas: 0, image: 'docker.io/app', extra: true },
  gqlSchema,
  gqlQuery: '{ employee(id: "alice") { salary } }',
  gqlBad: '{ employee { bonus } }',
  module: 'package x\n\ndeny contains msg if {\n\tinput.a == 1\n\tmsg := "no"\n}\n',
};
// Each expression reads input, so nothing is folded at build time.
const expressions = [
  // Whole answers as text: serial numbers and EC coordinates are integers past 2^53.
  'json.marshal(crypto.x509.parse_certificates(input.chain))',
  'json.marshal(crypto.x509.parse_and_verify_certificates(input.rootFirst))',
  'crypto.x509.parse_and_verify_certificates(input.chain)',
  'json.marshal(crypto.x509.parse_and_verify_certificates_with_options(input.rootFirst, {"DNSName": "svc.team-a.svc"}))',
  'crypto.x509.parse_and_verify_certificates_with_options(input.rootFirst, {"DNSName": "other.svc"})[0]',
  'json.marshal(crypto.x509.parse_certificate_request(input.csr))',
  'json.marshal(crypto.x509.parse_keypair(input.leaf, input.leafKey))',
  'json.marshal(crypto.x509.parse_rsa_private_key(input.pkcs1))',
  'json.marshal(crypto.parse_private_keys(concat("", [input.pkcs1, input.sec1, input.leafKey])))',
  'strings.render_template(input.template, input.vars)',
  'json.verify_schema(input.schema)',
  'json.verify_schema({"type": input.vars.names[0]})',
  'json.match_schema(input.good, input.schema)',
  // Errors come in Go's map order, random in opa too: compared as a set.
  '{e | some e in json.match_schema(input.bad, input.schema)[1]}',
  'graphql.schema_is_valid(input.gqlSchema)',
  'graphql.is_valid(input.gqlQuery, input.gqlSchema)',
  'graphql.is_valid(input.gqlBad, input.gqlSchema)',
  'graphql.parse_query(input.gqlQuery)',
  'graphql.parse_schema(input.gqlSchema)',
  'graphql.parse(input.gqlQuery, input.gqlSchema)',
  'graphql.parse_and_verify(input.gqlBad, input.gqlSchema)',
  'rego.parse_module("x.rego", input.module)',
];

t.test('every one of OPA own builtins gives what the opa binary gives', async (t) => {
  t.same(
    GO_BUILTINS.filter((b) => !expressions.some((e) => e.includes(`${b}(`))),
    [],
    'every builtin opa-builtins.wasm answers is called here',
  );
  const { ours, theirs, policy } = await bothWays(expressions, input, true);
  t.same(
    GO_BUILTINS.filter((b) => !policy.hostBuiltins().includes(b)),
    [],
    'the module asks the host for each of them',
  );
  t.same(policy.builtinErrors(), [], 'no builtin erred');
  t.equal(ours.length, expressions.length, 'every expression has a value');
  // json.marshal's text: OPA's wasm writes an object's keys in its own order, opa sorts them;
  // read back with every integer as its exact digits.
  const exact = (v: unknown) =>
    e(v)
      ? (JSON.parse(v as string, (_k, x, c?: { source?: string }) =>
          typeof x === 'number' && c?.source && /^-?\d+$/.test(c.source) ? BigInt(c.source) : x,
        ) as unknown)
      : v;
  const e = (v: unknown) => typeof v === 'string' && /^[[{]/.test(v);
  expressions.forEach((expr, i) => t.same(exact(ours[i]), exact(theirs[i]), expr));
  const certs = exact(ours[0]) as { SerialNumber: bigint }[];
  t.equal(typeof certs[0]?.SerialNumber, 'bigint', 'a serial number past 2^53, exact');
  t.equal(certs.length, 2);
});

t.test('a JSON schema reaches neither the network nor the file system', async (t) => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end(JSON.stringify({ type: 'string' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/s.json`;
  const policy = await wasmModule(
    'package s\nimport rego.v1\nverify := json.verify_schema({"$ref": input.ref})\n',
    's/verify',
  );
  const verified = resultOf(policy, 's/verify', { ref: url }) as [boolean, string];
  t.equal(verified[0], false, 'a remote $ref is not fetched: the schema does not verify');
  t.equal(requests, 0, 'no request reached the server');
  const file = resultOf(policy, 's/verify', { ref: 'file:///etc/passwd' }) as [boolean, string];
  t.equal(file[0], false, 'a file $ref is not read');
  t.notMatch(file[1], /root:/, 'nothing of the file is in the answer');
});

t.test('oversized arguments fail the evaluation; the instance keeps answering', async (t) => {
  const policy = await wasmModule(
    'package r\nimport rego.v1\nout := strings.render_template(input.t, {"x": input.x})\n',
    'r/out',
  );
  t.throws(
    () => resultOf(policy, 'r/out', { t: '{{.x}}', x: 'y'.repeat(5 * 1024 * 1024) }),
    /arguments larger than 4194304 bytes are refused/,
  );
  t.equal(resultOf(policy, 'r/out', { t: '{{.x}}!', x: 'ok' }), 'ok!');
  t.equal(resultOf(policy, 'r/out', { t: '{{.x', x: 'broken' }), undefined, 'a parse error');
  t.match(policy.builtinErrors()[0], /^strings\.render_template: template: /);
  t.equal(resultOf(policy, 'r/out', { t: '[{{.x}}]', x: 'still' }), '[still]');
  // 100^3 copies of 2 KiB (2 GB) from small arguments: the module's memory is bounded.
  const loops = '{{range .x.a}}{{range $.x.a}}{{range $.x.a}}{{$.x.s}}{{end}}{{end}}{{end}}';
  t.throws(
    () =>
      resultOf(policy, 'r/out', {
        t: loops,
        x: { a: [...Array(100).keys()], s: 'z'.repeat(2048) },
      }),
    /ran out of its 134217728 bytes of memory/,
  );
  t.equal(resultOf(policy, 'r/out', { t: '{{.x}} again', x: 'fine' }), 'fine again');
});

interface WasmApi {
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object) => { exports: { m: { grow(n: number): number } } };
}

t.test('boundMemory gives a module a maximum memory', (t) => {
  // (module (memory (export "m") 1)) and the same with (memory 1 4)
  const head = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  const exp = [7, 5, 1, 1, 0x6d, 2, 0];
  const plain = Uint8Array.from([...head, 5, 3, 1, 0, 1, ...exp]);
  const bounded = boundMemory(plain, 4);
  t.same([...bounded], [...head, 5, 4, 1, 1, 1, 4, ...exp]);
  const wa = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const m = new wa.Instance(new wa.Module(bounded)).exports.m;
  t.equal(m.grow(3), 1);
  t.throws(() => m.grow(1), RangeError, 'no page past the maximum');
  t.throws(() => boundMemory(Uint8Array.from(head), 4), /without a memory/);
  t.end();
});

const tlsPolicy = () =>
  policyDir({
    ...GOOD_POLICY,
    'demo/tls/policy.rego': [
      'package driftgate.demo.tls',
      'import rego.v1',
      'deny contains sprintf("%s: %s expires in under 30 days", [input.request.object.metadata.name, c.Subject.CommonName]) if {',
      '  input.request.object.type == "kubernetes.io/tls"',
      '  some c in crypto.x509.parse_certificates(base64.decode(input.request.object.data["tls.crt"]))',
      '  time.parse_rfc3339_ns(c.NotAfter) < time.now_ns() + (30 * 24 * 3600 * 1e9)',
      '}',
      '',
    ].join('\n'),
  });
const tlsSecret = (certPem: string) => ({
  request: {
    object: {
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'web' },
      data: { 'tls.crt': Buffer.from(certPem).toString('base64') },
    },
  },
});
const soon = createCertificate({ commonName: 'soon', usage: 'server', validityDays: 7 });

t.test('a policy checking certificates, through the bundle the webhook evaluates', async (t) => {
  const p = tlsPolicy();
  t.teardown(p.cleanup);
  const built = await buildBundle(p.dir, { opaPath: opa, opaBuiltins: true });
  t.ok(built.goBuiltins?.path.endsWith('/opa-builtins.wasm'), 'the bundle names its OPA builtins');
  const bundle = await loadBundle(built);
  const deny = (certPem: string) => {
    const o = bundle.evaluate(tlsSecret(certPem)).find((x) => x.policy.id === 'demo/tls');
    return o?.ok ? o.result.deny : o?.error;
  };
  t.same(deny(leaf.certPem), [], 'a year of validity: nothing to say');
  t.same(deny(soon.certPem), ['web: soon expires in under 30 days']);
});

t.test('without opaBuiltins (the chart default) such a policy is refused at build', async (t) => {
  const p = tlsPolicy();
  t.teardown(p.cleanup);
  await t.rejects(
    buildBundle(p.dir, { opaPath: opa }),
    /^policy (test|compile) failed: crypto\.x509\.parse_certificates runs OPA's own code: allow it with policies\.opaBuiltins .*undefined function crypto\.x509\.parse_certificates/s,
  );
});

t.test('evaluation workers share the module their pool compiled', async (t) => {
  // An opa of its own with opa-builtins.wasm beside it, removed once the bundle is loaded here:
  // the workers can only have the module from this thread.
  const bin = mkdtempSync(join(tmpdir(), 'dg-opa-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(join(bin, 'opa'), `#!/bin/sh\nexec ${opa} "$@"\n`, { mode: 0o755 });
  copyFileSync(goBuiltinsBeside(opa) as string, join(bin, 'opa-builtins.wasm'));
  const p = tlsPolicy();
  t.teardown(p.cleanup);
  const built = await buildBundle(p.dir, { opaPath: join(bin, 'opa'), opaBuiltins: true });
  t.equal(built.goBuiltins?.path, join(bin, 'opa-builtins.wasm'));
  const bundle = await loadBundle(built);
  rmSync(join(bin, 'opa-builtins.wasm'));
  const pool = new EvalPool({
    size: 2,
    timeoutMs: 30_000,
    maxQueue: 8,
    heapMb: 48,
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => pool.close());
  await pool.load(bundle);
  const answers = await Promise.all(
    [leaf, soon, soon].map((c) => pool.evaluate(wellFormedJson(tlsSecret(c.certPem)))),
  );
  const denials = answers.map((a) =>
    a.kind === 'ok' ? a.outcomes.find((o) => o.policy.id === 'demo/tls') : a,
  );
  t.same(
    denials.map((o) => (o && 'ok' in o && o.ok ? o.result.deny : o)),
    [[], ['web: soon expires in under 30 days'], ['web: soon expires in under 30 days']],
  );
});
