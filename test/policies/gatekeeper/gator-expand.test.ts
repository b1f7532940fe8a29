// Gatekeeper's own `gator expand` test fixtures (test/fixtures/public/gatekeeper/test/gator/
// expand/fixtures, Apache-2.0): driftgate generates the same resources from the same
// ExpansionTemplates, mutated by the same mutators, as the real `gator expand` prints.
import { publicFixture, yamlDocs, type Doc } from '../../support/public-fixtures.js';
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { exec } from '../../../core/exec.js';
import { generatedResources } from '../../../policies/engine/gatekeeper/generated.js';
import { readGatekeeperObjects } from '../../../policies/engine/gatekeeper/objects.js';
import { toolPath } from '../../support/tools.js';

const fixtures = publicFixture('gatekeeper', 'test', 'gator', 'expand', 'fixtures');
type Obj = Doc;
const docs = yamlDocs;
const byName = (a: Obj, b: Obj) =>
  JSON.stringify([a.kind, a.metadata]).localeCompare(JSON.stringify([b.kind, b.metadata]));

/** What driftgate generates from a fixture's input files. */
function ours(input: string): Obj[] {
  const files: Record<string, string> = {};
  for (const f of readdirSync(input)) files[f] = readFileSync(join(input, f), 'utf8');
  const problems: string[] = [];
  const gk = readGatekeeperObjects(files, problems);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const objects = Object.values(files)
    .flatMap(docs)
    .filter((d) => !String(d.apiVersion).includes('gatekeeper.sh'));
  const labels = new Map(
    objects
      .filter((o) => o.kind === 'Namespace')
      .map((o) => {
        const meta = o.metadata as { name: string; labels?: Record<string, string> };
        return [meta.name, meta.labels ?? {}] as const;
      }),
  );
  return objects.flatMap((o) => {
    const ns = (o.metadata as { namespace?: string }).namespace;
    return generatedResources(o, gk, ns ? labels.get(ns) : undefined).map((e) => e.object);
  });
}

/**
 * The fixture's input in a temp dir, every object (not Gatekeeper's own) placed in namespace
 * `expanded` with its Namespace beside it. gator treats an object without a namespace as
 * namespaced (its `scope: Namespaced` mutators apply to it); Gatekeeper's webhook never sees
 * a namespaced object without one, and neither does driftgate's expansion. Placed, both agree.
 */
function placed(input: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dg-expand-'));
  for (const f of readdirSync(input)) {
    const out = docs(readFileSync(join(input, f), 'utf8')).map((d) =>
      String(d.apiVersion).includes('gatekeeper.sh') || d.kind === 'Namespace'
        ? d
        : { ...d, metadata: { namespace: 'expanded', ...(d.metadata as Obj) } },
    );
    writeFileSync(join(dir, f), out.map((d) => stringify(d)).join('---\n'));
  }
  writeFileSync(
    join(dir, 'namespace.yaml'),
    stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'expanded' } }),
  );
  return dir;
}

const gatorExpand = (input: string) =>
  exec(toolPath('gator'), ['expand', `--filename=${input}`, '--format=yaml'], {
    timeoutMs: 60_000,
  });

for (const fixture of readdirSync(fixtures))
  t.test(fixture, async (t) => {
    const input = placed(join(fixtures, fixture, 'input'));
    t.teardown(() => rmSync(input, { recursive: true, force: true }));
    const gator = await gatorExpand(input);
    t.equal(gator.code, 0, gator.stderr);
    const theirs = docs(gator.stdout).sort(byName);
    t.ok(theirs.length > 0 || fixture.includes('nonmatching'), `gator generated ${theirs.length}`);
    t.same(ours(input).sort(byName), theirs, 'the same generated resources, mutated alike');
  });

t.test("the fixtures as they are: gator's namespace-less objects are namespaced", async (t) => {
  const input = join(fixtures, 'basic-expansion', 'input');
  const gator = docs((await gatorExpand(input)).stdout);
  const expected = docs(
    readFileSync(join(fixtures, 'basic-expansion', 'output', 'output.yaml'), 'utf8'),
  );
  t.same(gator, expected, "gator prints the fixture's expected output");
  const [pod] = ours(input);
  // Every mutator there says scope: Namespaced: none applies to a Pod without a namespace.
  t.same((pod?.spec as { containers: Obj[] }).containers, [
    { name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }], args: ['/bin/sh'] },
  ]);
  t.equal((pod?.metadata as Obj).annotations, undefined);
});
