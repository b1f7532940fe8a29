// The Gatekeeper library's mutation samples (test/fixtures/public/gatekeeper-library/mutation,
// Apache-2.0): every mutator file applied to its example Pods, and to a Pod that already sets
// what they set (pathTests, merges), by driftgate and by Gatekeeper's own mutation engine. gator
// applies mutators only to what an ExpansionTemplate generates, so each Pod is given to both as
// the template of a Deployment that an ExpansionTemplate expands: the generated Pods must match.
import { publicFixture, yamlDocs, type Doc } from '../../support/public-fixtures.js';
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { exec } from '../../../core/exec.js';
import { generatedResources } from '../../../policies/engine/gatekeeper/generated.js';
import { readGatekeeperObjects } from '../../../policies/engine/gatekeeper/objects.js';
import { toolPath } from '../../support/tools.js';

const library = publicFixture('gatekeeper-library', 'mutation');
type Obj = Doc;
const docs = yamlDocs;
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );

/** A Pod that already sets what the samples set, with init and ephemeral containers. */
const busy: Obj = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'busy', labels: { app: 'busy' } },
  spec: {
    securityContext: { runAsUser: 1000, seccompProfile: { type: 'Localhost' } },
    initContainers: [{ name: 'init', image: 'busybox', securityContext: { runAsUser: 5 } }],
    containers: [
      {
        name: 'app',
        image: 'registry.example/app:1',
        securityContext: {
          allowPrivilegeEscalation: true,
          readOnlyRootFilesystem: false,
          capabilities: { add: ['NET_BIND_SERVICE'] },
        },
      },
      { name: 'sidecar', image: 'envoy' },
    ],
    ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
  },
};

const expansion = {
  apiVersion: 'expansion.gatekeeper.sh/v1alpha1',
  kind: 'ExpansionTemplate',
  metadata: { name: 'expand-deployments' },
  spec: {
    applyTo: [{ groups: ['apps'], kinds: ['Deployment'], versions: ['v1'] }],
    templateSource: 'spec.template',
    generatedGVK: { kind: 'Pod', group: '', version: 'v1' },
  },
};
const deployment = (pod: Obj): Obj => {
  const meta = pod.metadata as { name: string; labels?: Record<string, string> };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: meta.name, namespace: 'mutated' },
    spec: {
      selector: { matchLabels: meta.labels ?? {} },
      template: { metadata: { labels: meta.labels ?? {} }, spec: pod.spec },
    },
  };
};

const files = walk(library).map((f) => relative(library, f));
const mutatorFiles = files.filter((f) => /\/mutation[^/]*\.yaml$/.test(f));
t.ok(mutatorFiles.length >= 10, `${mutatorFiles.length} mutator files`);

for (const file of mutatorFiles)
  t.test(file, async (t) => {
    const sample = file.slice(0, file.indexOf('/samples/') + '/samples/'.length);
    const examples = files
      .filter((f) => f.startsWith(sample) && f.endsWith('/example.yaml'))
      .flatMap((f) => docs(readFileSync(join(library, f), 'utf8')));
    const pods = [...examples, busy];
    const mutators = readFileSync(join(library, file), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'dg-mutation-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const input = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mutated' } },
      expansion,
      ...pods.map(deployment),
    ];
    writeFileSync(join(dir, 'mutators.yaml'), mutators);
    writeFileSync(join(dir, 'objects.yaml'), input.map((d) => stringify(d)).join('---\n'));
    const gator = await exec(toolPath('gator'), ['expand', `--filename=${dir}`, '--format=yaml'], {
      timeoutMs: 60_000,
    });
    t.equal(gator.code, 0, gator.stderr);
    const problems: string[] = [];
    const gk = readGatekeeperObjects(
      { 'mutators.yaml': mutators, 'expansion.yaml': stringify(expansion) },
      problems,
    );
    t.same(problems, []);
    const ours = pods.flatMap((p) => generatedResources(deployment(p), gk).map((e) => e.object));
    const byName = (a: Obj, b: Obj) =>
      String((a.metadata as Obj).name).localeCompare(String((b.metadata as Obj).name));
    t.same(ours.sort(byName), docs(gator.stdout).sort(byName), 'the same mutated Pods');
  });
