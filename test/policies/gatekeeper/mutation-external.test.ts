// External data in mutators, on Gatekeeper's own test mutators and the answers its e2e test
// (test/bats/test.bats, "external data - mutation test") expects of them: the vendored
// test/fixtures/public/gatekeeper/test/externaldata/dummy-provider/mutation (Apache-2.0), with a
// local HTTPS provider answering as Gatekeeper's test provider (test/support/dummy-provider.ts).
import { publicFixture } from '../../support/public-fixtures.js';
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExternalDataClient } from '../../../policies/engine/external-data.js';
import { resolvePlaceholders } from '../../../policies/engine/gatekeeper/mutation-external.js';
import { mutate, readMutator } from '../../../policies/engine/gatekeeper/mutators.js';
import { readGatekeeperObjects } from '../../../policies/engine/gatekeeper/objects.js';
import type { GkProvider } from '../../../policies/engine/gatekeeper/providers.js';
import { startDummyProvider } from '../../support/dummy-provider.js';

const dir = publicFixture('gatekeeper', 'test', 'externaldata', 'dummy-provider', 'mutation');
const objects = (file: string, problems: string[]) =>
  readGatekeeperObjects({ [file]: readFileSync(join(dir, file), 'utf8') }, problems);
const provider = await startDummyProvider();
t.teardown(() => provider.close());
const dummy: GkProvider = {
  name: 'dummy-provider',
  url: provider.url,
  timeoutMs: 1000,
  caPem: Buffer.from(provider.caBundle, 'base64').toString(),
  file: 'provider.yaml',
};
const client = new ExternalDataClient([dummy]);
const nginx = (image: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'nginx', namespace: 'default' },
  spec: { containers: [{ name: 'nginx', image }] },
});

const problems: string[] = [];
const valid = objects('valid.yaml', problems).mutators ?? [];
t.same(problems, [], "Gatekeeper's valid mutators are read");

/** `kubectl run nginx --image=<image>` as kubernetes-admin, through the three mutators. */
async function run(image: string) {
  const out = mutate(nginx(image), valid, undefined, 'kubernetes-admin');
  if (out.error) return { errors: [out.error], object: out.object };
  const errors = await resolvePlaceholders(out.object, client, 2000);
  return { errors, object: out.object };
}

t.test(
  "valid.yaml: the annotation, the image and the sidecar's image from the provider",
  async (t) => {
    const { errors, object } = await run('nginx');
    t.same(errors, []);
    t.same(object.metadata, {
      name: 'nginx',
      namespace: 'default',
      annotations: { 'external-data-username': 'kubernetes-admin_valid' },
    });
    t.same(object.spec, {
      containers: [
        { name: 'nginx', image: 'nginx_valid' },
        { name: 'networking', image: 'busybox_valid' },
      ],
    });
    t.same(
      provider.requests.at(-1)?.slice().sort(),
      ['busybox', 'kubernetes-admin', 'nginx'],
      'one request for every placeholder',
    );
  },
);

t.test('a key error and a system error fail the mutation (failurePolicy Fail)', async (t) => {
  t.match((await run('error_busybox')).errors, [/error_busybox_invalid/]);
  t.match((await run('busybox:latest_systemError')).errors, [/testing system error/]);
});

t.test('failurePolicy Ignore keeps the key; UseDefault writes the default', async (t) => {
  const assign = (externalData: Record<string, unknown>) => {
    const p: string[] = [];
    const m = readMutator(
      {
        apiVersion: 'mutations.gatekeeper.sh/v1',
        kind: 'Assign',
        metadata: { name: 'image' },
        spec: {
          applyTo: [{ groups: [''], kinds: ['Pod'], versions: ['v1'] }],
          location: 'spec.containers[name: *].image',
          parameters: { assign: { externalData: { provider: 'dummy-provider', ...externalData } } },
        },
      },
      'm.yaml',
      p,
    );
    if (!m) throw new Error(p.join('; '));
    return m;
  };
  for (const [policy, want] of [
    [{ failurePolicy: 'Ignore' }, 'error_x'],
    [
      { failurePolicy: 'UseDefault', default: 'registry.local/fallback' },
      'registry.local/fallback',
    ],
  ] as const) {
    const out = mutate(nginx('error_x'), [assign(policy)]);
    t.same(await resolvePlaceholders(out.object, client, 2000), []);
    t.equal((out.object.spec as { containers: { image: string }[] }).containers[0]?.image, want);
  }
  const down = new ExternalDataClient([{ ...dummy, url: 'https://127.0.0.1:1/validate' }]);
  const out = mutate(nginx('nginx'), [assign({})]);
  t.match(await resolvePlaceholders(out.object, down, 2000), [
    /failed to send external data request/,
  ]);
});

t.test("Gatekeeper's invalid mutators are refused with its reasons", async (t) => {
  for (const [file, want] of [
    [
      'invalid_assignmetadata.yaml',
      [
        /assignmetadata-annotate-owner-invalid: only username data source is supported/,
        /assignmetadata-location-invalid: location must be metadata.labels/,
      ],
    ],
    [
      'invalid_assign.yaml',
      [
        /assign-image-invalid: `default` must not be empty when `failurePolicy` is set to `UseDefault`/,
        /assign-to-list: cannot assign external data response to a list/,
      ],
    ],
  ] as const) {
    const p: string[] = [];
    t.same(objects(file, p).mutators, [], `${file}: nothing read`);
    t.match(p, want, file);
  }
});

t.test('a placeholder over a value that is not a string fails the mutation', async (t) => {
  const image = valid.find((m) => m.name === 'b-assign-image');
  const out = mutate(
    { ...nginx('x'), spec: { containers: [{ name: 'nginx', image: { not: 'a string' } }] } },
    image ? [image] : [],
  );
  t.match(
    out.error,
    /Assign b-assign-image: value assigned to external data placeholder is not a string/,
  );
});
