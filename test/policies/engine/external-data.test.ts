import t from 'tap';
import { publicFixture } from '../../support/public-fixtures.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { buildBundle } from '../../../policies/engine/build.js';
import { loadBundle, wellFormedJson } from '../../../policies/engine/bundle.js';
import { clientCertFromEnv, ExternalDataClient } from '../../../policies/engine/external-data.js';
import { CertUsage, createCertificate } from '../../../webhook/tls/pki.js';
import { withExternalData } from '../../../policies/engine/external-data-session.js';
import { objectInput } from '../../../policies/engine/findings.js';
import { readProvider } from '../../../policies/engine/gatekeeper/providers.js';
import { EvalPool } from '../../../policies/engine/pool/pool.js';
import { startDummyProvider } from '../../support/dummy-provider.js';
import { policyDir } from '../../support/policy-dirs.js';
import { toolPath } from '../../support/tools.js';
import { TENANCY_FILE, tenancyText } from '../../../policies/engine/tenancy.js';

// Gatekeeper's external data: its own test template, constraint, example Deployments and Provider
// (test/fixtures/public/gatekeeper/test/externaldata, Apache-2.0), against a local HTTPS provider
// answering as Gatekeeper's test provider does (test/support/dummy-provider.ts).
const vendored = publicFixture('gatekeeper', 'test', 'externaldata', 'dummy-provider');
const read = (path: string) => readFileSync(join(vendored, path), 'utf8');
const provider = await startDummyProvider();
t.teardown(() => provider.close());
/** Gatekeeper's Provider manifest, pointed at the local provider with its CA. */
const providerYaml = (url = provider.url, caBundle = provider.caBundle) => {
  const doc = parse(read('manifest/provider.yaml')) as { spec: Record<string, unknown> };
  return stringify({ ...doc, spec: { ...doc.spec, url, caBundle } });
};
const providerOf = (yaml: string) => {
  const problems: string[] = [];
  const p = readProvider(parse(yaml) as Record<string, unknown>, 'p.yaml', problems);
  if (!p) throw new Error(problems.join('; '));
  return p;
};

t.test('a Provider is read as Gatekeeper reads it; what it cannot use is refused', async (t) => {
  const p = providerOf(providerYaml());
  t.match(p, { name: 'dummy-provider', url: provider.url, timeoutMs: 1000 });
  const problems: string[] = [];
  const bad = (spec: Record<string, unknown>) =>
    readProvider({ kind: 'Provider', metadata: { name: 'x' }, spec }, 'p.yaml', problems);
  t.equal(bad({ url: 'http://a.example/x', caBundle: provider.caBundle }), undefined);
  t.equal(bad({ url: provider.url, caBundle: provider.caBundle, timeout: 0 }), undefined);
  t.equal(bad({ url: provider.url, caBundle: 'bm90IGEgY2VydA==' }), undefined);
  t.same(problems, [
    'p.yaml: Provider x: spec.url must be https:// (as in Gatekeeper)',
    'p.yaml: Provider x: spec.timeout must be whole seconds from 1 to 30',
    'p.yaml: Provider x: spec.caBundle holds no PEM certificate',
  ]);
});

t.test('the client: values, errors, system errors, the cache and its TTL', async (t) => {
  let now = 1_000_000;
  const client = new ExternalDataClient([providerOf(providerYaml())], { now: () => now });
  const asked = provider.requests.length;
  const a = await client.ask('dummy-provider', ['img:1', 'error_x', 'done_valid']);
  t.same(
    [...a.items],
    [
      ['img:1', { value: 'img:1_valid' }],
      ['error_x', { error: 'error_x_invalid' }],
    ],
  );
  t.match(a, { status: 200, systemError: '', idempotent: true });
  const again = await client.ask('dummy-provider', ['img:1', 'error_x']);
  t.equal(again.status, 0, 'every key from the cache: nothing asked');
  t.equal(provider.requests.length, asked + 1);
  now += 180_001;
  await client.ask('dummy-provider', ['img:1']);
  t.same(provider.requests.at(-1), ['img:1'], 'past the TTL the provider is asked again');
  const sys = await client.ask('dummy-provider', ['x_systemError']);
  t.match(sys, { systemError: 'testing system error', status: 200 });
  t.match(await client.ask('nobody', ['k']), {
    status: 400,
    systemError: 'external data provider "nobody" is not declared',
  });
});

t.test('a slow, hostile or untrusted provider is an answer with a system error', async (t) => {
  const client = new ExternalDataClient([providerOf(providerYaml())], { maxResponseBytes: 4096 });
  provider.delayMs = 2000;
  const started = Date.now();
  const slow = await client.ask('dummy-provider', ['slow'], { budgetMs: 300 });
  provider.delayMs = 0;
  t.match(slow, { status: 500, systemError: /timed out after 300 ms/ });
  t.ok(Date.now() - started < 1800, 'the budget bounds the wait, not the provider');
  provider.rawBody = JSON.stringify({
    response: { items: [{ key: 'k', value: 'x'.repeat(8192) }] },
  });
  t.match(await client.ask('dummy-provider', ['big']), {
    status: 500,
    systemError: /larger than 4096 bytes/,
  });
  provider.rawBody = '<html>';
  t.match(await client.ask('dummy-provider', ['html']), { systemError: /not JSON/ });
  provider.rawBody = undefined;
  const other = await startDummyProvider();
  t.teardown(() => other.close());
  // The provider's certificate does not chain to the caBundle the Provider names.
  const wrongCa = new ExternalDataClient([providerOf(providerYaml(other.url))]);
  t.match(await wrongCa.ask('dummy-provider', ['k']), {
    status: 500,
    systemError: /failed to send external data request/,
  });
  t.same(other.requests, [], 'nothing was sent to a provider that could not be verified');
});

t.test(
  'mutual TLS: the client certificate a verifying provider asks for, re-read when rotated',
  async (t) => {
    const ca = createCertificate({ commonName: 'platform-ca', usage: CertUsage.ca });
    const strict = await startDummyProvider('127.0.0.1', ca.certPem);
    t.teardown(() => strict.close());
    const dir = mkdtempSync(join(tmpdir(), 'dg-client-cert-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    const install = (c: { certPem: string; keyPem: string }) => {
      writeFileSync(files.certFile, c.certPem);
      writeFileSync(files.keyFile, c.keyPem);
    };
    const p = [providerOf(providerYaml(strict.url, strict.caBundle))];
    const none = await new ExternalDataClient(p, { clientCert: undefined }).ask('dummy-provider', [
      'k',
    ]);
    t.match(none, {
      status: 500,
      systemError: /failed to send external data request: .*certificate required/,
    });
    const missing = await new ExternalDataClient(p, { clientCert: files }).ask('dummy-provider', [
      'k',
    ]);
    t.match(missing.systemError, /client certificate unreadable \(ENOENT\)$/, 'no path, no PEM');
    // A certificate from another CA is refused too; rotated to the trusted one, it is accepted.
    const other = createCertificate({ commonName: 'other-ca', usage: CertUsage.ca });
    install(createCertificate({ commonName: 'driftgate', usage: CertUsage.client, issuer: other }));
    const client = new ExternalDataClient(p, { clientCert: files });
    t.match(await client.ask('dummy-provider', ['k1']), {
      status: 500,
      systemError: /failed to send external data request/,
    });
    t.same(strict.requests, [], 'nothing reached the provider without a certificate it trusts');
    install(createCertificate({ commonName: 'driftgate', usage: CertUsage.client, issuer: ca }));
    const ok = await client.ask('dummy-provider', ['k2']);
    t.same(
      [...ok.items],
      [['k2', { value: 'k2_valid' }]],
      'answered once the trusted one is in place',
    );
    t.same(strict.requests, [['k2']]);
    t.same(
      clientCertFromEnv({
        DRIFTGATE_PROVIDER_CLIENT_CERT: '/c/tls.crt',
        DRIFTGATE_PROVIDER_CLIENT_KEY: '/c/tls.key',
      }),
      { certFile: '/c/tls.crt', keyFile: '/c/tls.key' },
    );
    t.equal(clientCertFromEnv({ DRIFTGATE_PROVIDER_CLIENT_CERT: '/c/tls.crt' }), undefined);
  },
);

t.test("Gatekeeper's external data template, through the evaluation pool", async (t) => {
  const dir = policyDir({
    'gk/template.yaml': read('policy/template.yaml'),
    'gk/constraint.yaml': read('policy/constraint.yaml'),
    'gk/provider.yaml': providerYaml(),
  });
  t.teardown(dir.cleanup);
  const bundle = await loadBundle(await buildBundle(dir.dir, { opaPath: toolPath('opa') }));
  t.equal(bundle.built.providers?.[0]?.name, 'dummy-provider');
  const pool = new EvalPool({
    size: 1,
    timeoutMs: 5000,
    maxQueue: 4,
    heapMb: 48,
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => pool.close());
  await pool.load(bundle);
  const verdict = async (example: string) => {
    const obj = parseAllDocuments(read(`policy/examples/${example}`))[0]?.toJS() as Record<
      string,
      unknown
    >;
    const input = objectInput(obj, { username: 'alice' }, {});
    const answer = await pool.evaluate(wellFormedJson(input));
    if (answer.kind !== 'ok') throw new Error(answer.kind);
    return answer.outcomes.flatMap((o) => (o.ok ? o.result.deny : [o.error]));
  };
  t.same(await verdict('valid.yaml'), [], 'a key the provider vouches for is allowed');
  t.same(await verdict('error.yaml'), [
    'invalid response: {"errors": [["error_test/image:latest", "error_test/image:latest_invalid"]], "responses": [], "status_code": 200, "system_error": ""}',
  ]);
  t.same(await verdict('system-error.yaml'), [
    'invalid response: {"errors": [], "responses": [], "status_code": 200, "system_error": "testing system error"}',
  ]);

  // The same bundle on this thread: the builtin asks nothing by itself and says so.
  const obj = parse(read('policy/examples/valid.yaml')) as Record<string, unknown>;
  const input = objectInput(obj, { username: 'alice' }, {});
  t.match(bundle.evaluate(input)[0], {
    ok: true,
    result: { deny: [/"system_error": "external data was not fetched"/] },
  });
  const client = new ExternalDataClient(bundle.built.providers ?? []);
  const fetched = await withExternalData(bundle.externalData, client, () => bundle.evaluate(input));
  t.same(
    fetched.map((o) => (o.ok ? o.result.deny : o.error)),
    [[]],
    'withExternalData asks the provider and evaluates again',
  );
});

t.test('a tenant may not declare a Provider; a name is declared once', async (t) => {
  const dir = policyDir({
    [TENANCY_FILE]: tenancyText([
      { source: 'team', namespaces: ['team-a'], files: ['team/provider.yaml'] },
    ]),
    'gk/template.yaml': read('policy/template.yaml'),
    'gk/constraint.yaml': read('policy/constraint.yaml'),
    'gk/provider.yaml': providerYaml(),
    'gk/again.yaml': providerYaml(),
    'team/provider.yaml': providerYaml().replace('dummy-provider', 'team-provider'),
  });
  t.teardown(dir.cleanup);
  await t.rejects(buildBundle(dir.dir, { opaPath: toolPath('opa') }), {
    message:
      /team\/provider.yaml: Provider team-provider: a tenant may not declare external data providers.*Provider dummy-provider is declared twice/,
  });
});
