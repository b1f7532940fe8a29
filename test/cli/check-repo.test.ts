// `driftgate check` on a repository as a CI pipeline runs it (issue 27 finding 7): an overlay
// reaches its base elsewhere in the work tree, --values is read where the user stands, and what
// check sees is judged as Git-managed (a plaintext Secret is flagged). The real kustomize, helm,
// opa and the built-in library.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { policyDir } from '../support/policy-dirs.js';
import { configMap } from '../support/reconciler.js';
import { runCli } from '../support/run-cli.js';
import { toolPath } from '../support/tools.js';
import { LIBRARY_DIR } from '../support/webhook.js';

const tools = ['--opa', toolPath('opa'), '--kustomize', toolPath('kustomize')];
const repo = t.testdir({
  base: {
    'kustomization.yaml': stringify({ resources: ['settings.yaml'] }),
    'settings.yaml': configMap('settings', { mode: 'strict' }),
  },
  overlays: {
    staging: {
      'kustomization.yaml': stringify({ resources: ['../../base'], namePrefix: 'staging-' }),
    },
  },
  secrets: {
    'db.yaml': stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      stringData: { password: 'hunter2' },
    }),
  },
  chart: {
    'Chart.yaml': stringify({ apiVersion: 'v2', name: 'demo', version: '0.1.0' }),
    'values.yaml': stringify({ mode: 'default' }),
    templates: {
      'cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  mode: {{ .Values.mode }}\n',
    },
  },
  'prod-values.yaml': stringify({ mode: 'from-the-working-directory' }),
});
mkdirSync(join(repo, '.git'));

t.test('an overlay reaches its base inside the work tree', async (t) => {
  const r = await runCli([
    'check',
    join(repo, 'overlays/staging'),
    '--policies',
    LIBRARY_DIR,
    ...tools,
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^1 objects checked against \d+ policies: 0 violations/m);
  const outside = await runCli([
    'check',
    join(repo, 'overlays/staging'),
    '--root',
    join(repo, 'overlays'),
    '--policies',
    LIBRARY_DIR,
    ...tools,
  ]);
  t.equal(outside.code, 2, 'a root that does not hold the base: refused, as before');
  t.match(outside.stderr, /the kustomization names what is not in the signed commit/);
});

t.test('--values is read relative to the working directory', async (t) => {
  // A policy that names the value the chart rendered.
  const says = policyDir({
    'demo/mode/policy.rego':
      'package driftgate.demo.mode\n\nimport rego.v1\n\ndeny contains sprintf("mode is %s", [input.request.object.data.mode]) if input.request.object.kind == "ConfigMap"\n',
  });
  t.teardown(says.cleanup);
  const cwd = process.cwd();
  process.chdir(repo);
  try {
    const r = await runCli([
      'check',
      'chart',
      '--values',
      'prod-values.yaml',
      '--policies',
      says.dir,
      '--opa',
      toolPath('opa'),
      '--helm',
      toolPath('helm'),
    ]);
    t.equal(r.code, 1, r.stderr);
    t.match(r.stdout, 'ConfigMap demo: [demo/mode] mode is from-the-working-directory');
  } finally {
    process.chdir(cwd);
  }
});

t.test('a plaintext Secret headed for Git is flagged', async (t) => {
  const r = await runCli(['check', join(repo, 'secrets'), '--policies', LIBRARY_DIR, ...tools]);
  // The library's rule warns (its default enforcement): flagged, exit 0.
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stdout,
    'WARN db.yaml: Secret shop/db: [secrets/no_plaintext_secrets] Secret "db" carries plaintext stringData in a Git-managed namespace',
  );
  t.match(r.stdout, /0 violations, 1 warnings$/m);
});

t.test("a chart's .helmignore holds in check; a broken template is named", async (t) => {
  const charts = t.testdir({
    ignoring: {
      'Chart.yaml': stringify({ apiVersion: 'v2', name: 'ignoring', version: '0.1.0' }),
      '.helmignore': 'crds/kustomization.yaml\n',
      crds: { 'kustomization.yaml': stringify({ resources: ['crd.yaml'] }) },
      templates: { 'cm.yaml': configMap('fine', { a: 'b' }) },
    },
    broken: {
      'Chart.yaml': stringify({ apiVersion: 'v2', name: 'broken', version: '0.1.0' }),
      templates: {
        'good.yaml': configMap('fine', { a: 'b' }),
        'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\ndata: {}\n',
      },
    },
  });
  const helm = ['--policies', LIBRARY_DIR, '--opa', toolPath('opa'), '--helm', toolPath('helm')];
  const ok = await runCli(['check', join(charts, 'ignoring'), ...helm]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^1 objects checked/m);
  const bad = await runCli(['check', join(charts, 'broken'), ...helm]);
  t.equal(bad.code, 2);
  t.equal(
    bad.stderr,
    'driftgate check: broken/templates/bad.yaml: a document lacks apiVersion, kind or metadata.name',
  );
});
