import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { exec } from '../../core/exec.js';
import { startControlPlane } from '../support/control-plane.js';
import { startGitServer } from '../support/git-server.js';
import { GOOD_POLICY, policyDir } from '../support/policy-dirs.js';
import { configMap, startTestReconciler, trustOf } from '../support/reconciler.js';
import { createSshSigner } from '../support/signing.js';
import { withoutCoverage } from '../support/processes.js';
import { toolPath } from '../support/tools.js';
import { runCli } from '../support/run-cli.js';

// The driftgate command as users run it (tsx over the sources), against real Git, a real
// apiserver and the real opa.
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'dg-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// The subcommands run in this process (runCli); one test runs the real binary for help and
// unknown commands.
const driftgate = async (args: string[]) => {
  if (['check', 'diff', 'verify', 'status'].includes(args[0] as string)) return runCli(args);
  return exec(join(root, 'node_modules/.bin/tsx'), [join(root, 'cli/main.ts'), ...args], {
    cwd: dir,
    env: withoutCoverage(),
    timeoutMs: 120_000,
  });
};
const opa = toolPath('opa');

t.test('help and unknown commands', async (t) => {
  const help = await driftgate(['help']);
  t.equal(help.code, 0);
  for (const c of ['serve', 'reconcile', 'status', 'check', 'diff', 'verify'])
    t.match(help.stdout, new RegExp(`^  ${c}\\b`, 'm'));
  const bad = await driftgate(['frobnicate']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, 'unknown command "frobnicate"');
  for (const c of ['check', 'diff', 'verify']) {
    const h = await driftgate([c, '--help']);
    t.equal(h.code, 0, `${c} --help`);
    t.match(h.stdout, `driftgate ${c}`);
  }
});

t.test('check: CI exit codes over manifests and a policy directory', async (t) => {
  const policies = policyDir(GOOD_POLICY);
  t.teardown(policies.cleanup);
  const good = join(dir, 'good');
  const bad = join(dir, 'bad');
  mkdirSync(join(bad, 'nested'), { recursive: true });
  mkdirSync(good);
  writeFileSync(join(good, 'cm.yaml'), configMap('fine', { a: 'b' }));
  writeFileSync(join(bad, 'cm.yaml'), configMap('fine', { a: 'b' }));
  writeFileSync(join(bad, 'nested', 'x.yaml'), configMap('nope', { forbidden: 'yes' }));
  const args = (d: string) => ['check', d, '--policies', policies.dir, '--opa', opa];

  const ok = await driftgate(args(good));
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, '1 objects checked against 1 policies: 0 violations, 0 warnings');

  const no = await driftgate(args(bad));
  t.equal(no.code, 1);
  t.match(
    no.stdout,
    'DENY nested/x.yaml: ConfigMap nope: [demo/no_forbidden] key forbidden is not allowed',
  );
  t.match(no.stdout, '2 objects checked against 1 policies: 1 violations');

  const json = await driftgate([...args(bad), '--output', 'json']);
  t.match(JSON.parse(json.stdout), {
    objects: 2,
    results: [
      { path: 'cm.yaml', findings: [] },
      { path: 'nested/x.yaml', findings: [{ policy: 'demo/no_forbidden', action: 'enforce' }] },
    ],
  });

  writeFileSync(join(dir, 'broken.yaml'), 'kind: [unclosed\n');
  const brokenDir = join(dir, 'broken');
  mkdirSync(brokenDir);
  writeFileSync(join(brokenDir, 'x.yaml'), 'apiVersion: v1\nkind: [unclosed\n');
  const unusable = await driftgate(args(brokenDir));
  t.equal(unusable.code, 2);
  t.match(unusable.stderr, 'x.yaml');
  const missing = await driftgate(['check', join(dir, 'nowhere'), '--opa', opa]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, 'is not a directory of manifests');

  // A kustomization and a chart render as the reconciler renders them.
  const kus = join(dir, 'kus');
  mkdirSync(join(kus, 'base'), { recursive: true });
  writeFileSync(join(kus, 'base', 'cm.yaml'), configMap('nope', { forbidden: 'yes' }));
  writeFileSync(join(kus, 'base', 'kustomization.yaml'), 'resources: [cm.yaml]\n');
  writeFileSync(join(kus, 'kustomization.yaml'), 'resources: [base]\nnamePrefix: dev-\n');
  const kustomize = toolPath('kustomize');
  const k = await driftgate([...args(kus), '--kustomize', kustomize]);
  t.equal(k.code, 1, k.stderr);
  t.match(k.stdout, 'DENY ');
  t.match(k.stdout, 'ConfigMap dev-nope: [demo/no_forbidden]');
  const chart = join(dir, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), 'key: allowed\n');
  writeFileSync(join(chart, 'values-bad.yaml'), 'key: forbidden\n');
  writeFileSync(
    join(chart, 'templates', 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: {{ .Release.Name }}-cm }\ndata: { {{ .Values.key }}: "x" }\n',
  );
  const helm = ['--helm', toolPath('helm'), '--release', 'web'];
  const fine = await driftgate([...args(chart), ...helm]);
  t.equal(fine.code, 0, fine.stderr);
  t.match(fine.stdout, '1 objects checked');
  const worse = await driftgate([...args(chart), ...helm, '--values', 'values-bad.yaml']);
  t.equal(worse.code, 1, worse.stderr);
  t.match(worse.stdout, 'ConfigMap web-cm: [demo/no_forbidden]');
  // podinfo's chart requires kubeVersion >=1.23: check does not render as Helm's v1.20 default.
  const podinfo = join(root, 'test/fixtures/public/podinfo/charts/podinfo');
  const pi = await driftgate([...args(podinfo), ...helm]);
  t.equal(pi.code, 0, pi.stderr);
  t.match(pi.stdout, /\d+ objects checked/);
  const old = await driftgate([...args(podinfo), ...helm, '--kube-version', 'v1.20.0']);
  t.equal(old.code, 2);
  t.match(old.stderr, 'incompatible with Kubernetes v1.20.0');
  const noKustomize = await driftgate([...args(kus), '--kustomize', '/no/such/kustomize']);
  t.equal(noKustomize.code, 2);
  t.equal(
    noKustomize.stderr,
    'driftgate check: --kustomize: /no/such/kustomize is not an executable file',
  );
  const noOpa = await driftgate(['check', good, '--policies', policies.dir, '--opa', '/no/opa']);
  t.equal(noOpa.code, 2);
  t.equal(noOpa.stderr, 'driftgate check: --opa: /no/opa is not an executable file');

  // The built-in library by default: the policy samples are judged as the policy says.
  const sample = join(root, 'policies/images/disallow_latest/samples/disallowed');
  const lib = await driftgate(['check', sample, '--opa', opa]);
  t.equal(lib.code, 0, 'best practice is warned by default: CI is told, not failed');
  t.match(lib.stdout, /^WARN .*\[images\/disallow_latest\]/m);
  // Baseline Pod Security is enforced by default.
  const privileged = join(root, 'policies/security/disallow_privileged/samples/disallowed');
  const base = await driftgate(['check', privileged, '--opa', opa]);
  t.equal(base.code, 1);
  t.match(base.stdout, /^DENY .*\[security\/disallow_privileged\]/m);
});

t.test('verify and diff against real Git and a real apiserver', async (t) => {
  const cp = await startControlPlane();
  t.teardown(() => cp.stop());
  const git = await startGitServer();
  t.teardown(() => git.stop());
  const signer = await createSshSigner(join(dir, 'ssh'), 'Sam Ops', 'sam@example.com');
  const repo = await git.createRepo('cli');
  await repo.commit({ 'app/a.yaml': configMap('a', { v: '1' }) }, { signer });
  const trustFile = join(dir, 'trust.yaml');
  writeFileSync(trustFile, stringify(trustOf(signer)));

  const ok = await driftgate(['verify', repo.url, 'main', '--trust', trustFile]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^verified: [0-9a-f]{40} signed by ssh:sam@example.com/);
  const okJson = await driftgate([
    'verify',
    repo.url,
    'main',
    `--trust=${trustFile}`,
    '-o',
    'json',
  ]);
  t.equal(okJson.code, 0, okJson.stderr);
  const commit = ok.stdout.split(' ')[1];
  t.same(JSON.parse(okJson.stdout), { commit, verified: true, signer: 'ssh:sam@example.com' });
  await repo.commit({ 'app/b.yaml': configMap('b', { v: '1' }) });
  const unsigned = await driftgate(['verify', repo.url, 'main', '--trust', trustFile]);
  t.equal(unsigned.code, 1);
  t.match(unsigned.stdout, /refused: [0-9a-f]{40} \(unsigned\)/);
  const unsignedYaml = await driftgate([
    'verify',
    repo.url,
    'main',
    '--trust',
    trustFile,
    '-o',
    'yaml',
  ]);
  t.equal(unsignedYaml.code, 1);
  t.match(parse(unsignedYaml.stdout), { verified: false, reason: 'unsigned' });
  const nowhere = await driftgate([
    'verify',
    'http://127.0.0.1:1/x.git',
    'main',
    '--trust',
    trustFile,
  ]);
  t.equal(nowhere.code, 2);
  t.match(nowhere.stderr, 'cannot fetch main from http://127.0.0.1:1/x.git');

  await repo.commit({ 'app/b.yaml': configMap('b', { v: '2' }) }, { signer });
  const source = {
    name: 'cli',
    repoURL: repo.url,
    ref: 'main',
    path: 'app',
    destinationNamespace: 'cli',
    createNamespace: true,
    verification: { mode: 'head', ...trustOf(signer) },
  };
  const cfgFile = join(dir, 'reconciler.yaml');
  writeFileSync(cfgFile, stringify({ namespace: 'driftgate-system', sources: [source] }));
  process.env.KUBECONFIG = cp.kubeconfigs.reconciler;
  const before = await driftgate(['diff', '--config', cfgFile]);
  t.equal(before.code, 1, before.stderr);
  t.match(before.stdout, /source cli: [0-9a-f]{12} signed by ssh:sam@example.com/);
  t.match(before.stdout, 'create ConfigMap cli/a (app/a.yaml)');
  t.match(before.stdout, 'create ConfigMap cli/b (app/b.yaml)');
  // A new object is shown as the manifest the sync would apply, not as "(object) … missing".
  t.match(before.stdout, '      --- /dev/null\n      +++ git ConfigMap cli/a (app/a.yaml)\n');
  t.match(before.stdout, '      +kind: ConfigMap\n');
  t.match(before.stdout, '      +    driftgate.io/source: cli\n');
  t.notMatch(before.stdout, '(object)');

  const rec = await startTestReconciler(cp, [source]);
  await rec.sync('cli');
  // status from the reconciler's API, for scripts: the same data as JSON and as YAML.
  const asJson = await driftgate([
    'status',
    '--url',
    rec.url,
    '--token-file',
    rec.tokenFile,
    '-o',
    'json',
  ]);
  t.equal(asJson.code, 0, asJson.stderr);
  const st = JSON.parse(asJson.stdout) as { sources: { name: string; syncStatus: string }[] };
  t.same(
    st.sources.map((s) => [s.name, s.syncStatus]),
    [['cli', 'Synced']],
  );
  const asYaml = await driftgate([
    'status',
    `--url=${rec.url}`,
    `--token-file=${rec.tokenFile}`,
    '-o',
    'yaml',
  ]);
  t.same(parse(asYaml.stdout), st, '-o yaml: the same data');
  const noToken = await driftgate(['status', '--url', rec.url]);
  t.equal(noToken.code, 1);
  t.match(noToken.stderr, `the reconciler at ${rec.url} answered 401`);
  await rec.stop(); // so that self-heal does not revert the change below
  await cp.kubectl([
    'patch',
    'cm',
    'b',
    '-n',
    'cli',
    '--type=merge',
    '-p',
    '{"data":{"v":"manual"}}',
  ]);
  const drifted = await driftgate(['diff', '--config', cfgFile]);
  t.equal(drifted.code, 1);
  t.match(
    drifted.stdout,
    [
      '  update ConfigMap cli/b (app/b.yaml)',
      '      --- live ConfigMap cli/b (app/b.yaml)',
      '      +++ git ConfigMap cli/b (app/b.yaml)',
      '      @@ /data/v @@',
      '      -manual',
      '      +"2"',
    ].join('\n'),
  );
  t.notMatch(drifted.stdout, 'ConfigMap cli/a');
  const driftJson = await driftgate(['diff', '--config', cfgFile, '-o', 'json']);
  t.equal(driftJson.code, 1, 'the exit code does not depend on the format');
  const plan = JSON.parse(driftJson.stdout) as {
    sources: { source: string; inSync: boolean; changes: { action: string; object: string }[] }[];
  };
  t.same(
    plan.sources.map((s) => [s.source, s.inSync, s.changes.map((c) => `${c.action} ${c.object}`)]),
    [['cli', false, ['update ConfigMap cli/b']]],
  );
  t.match(plan.sources[0], { revision: /^[0-9a-f]{40}$/, signer: 'ssh:sam@example.com' });

  // --context: the kubeconfig's current context points nowhere; the named one is the cluster.
  const kc = parse(readFileSync(cp.kubeconfigs.reconciler, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    contexts: { name: string; context: { cluster: string; user: string } }[];
    'current-context': string;
  };
  const real = kc.contexts.find((c) => c.name === kc['current-context']);
  if (!real) throw new Error('the reconciler kubeconfig has no current context');
  kc.clusters.push({ name: 'nowhere', cluster: { server: 'https://127.0.0.1:1' } });
  kc.contexts.push({ name: 'nowhere', context: { ...real.context, cluster: 'nowhere' } });
  kc['current-context'] = 'nowhere';
  const twoContexts = join(dir, 'two-contexts.kubeconfig');
  writeFileSync(twoContexts, stringify(kc));
  const viaCurrent = await driftgate(['diff', '--config', cfgFile, '--kubeconfig', twoContexts]);
  t.equal(viaCurrent.code, 2, 'the current context reaches no cluster');
  const viaContext = await driftgate([
    'diff',
    '--config',
    cfgFile,
    '--kubeconfig',
    twoContexts,
    '--context',
    real.name,
  ]);
  t.equal(viaContext.code, 1, viaContext.stderr);
  t.match(viaContext.stdout, '  update ConfigMap cli/b (app/b.yaml)');
  const unknown = await driftgate(['diff', '--config', cfgFile, '--context', 'nope']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, 'no context "nope" in the kubeconfig (it has: ');

  // --local: a working copy's uncommitted files, planned like the head (and not verified).
  const work = join(dir, 'work');
  mkdirSync(join(work, 'app'), { recursive: true });
  writeFileSync(join(work, 'app', 'a.yaml'), configMap('a', { v: '9' }));
  const local = await driftgate(['diff', '--config', cfgFile, '--local', work]);
  t.equal(local.code, 1, local.stderr);
  t.match(local.stdout, 'source cli: local signed by nobody (local files, not verified)');
  t.match(local.stdout, '      @@ /data/v @@\n      -"1"\n      +"9"');
  t.match(local.stdout, '  prune  ConfigMap cli/b (no longer in Git)');
  // An emptied path: the prune would be refused, and diff says so per object.
  rmSync(join(work, 'app', 'a.yaml'));
  const emptied = await driftgate(['diff', '--config', cfgFile, '--local', work]);
  t.equal(emptied.code, 1, emptied.stderr);
  t.notMatch(emptied.stdout, '  prune  ');
  t.match(
    emptied.stdout,
    '  keep   ConfigMap cli/a: prune refused: the commit renders no objects; refusing to prune all 2',
  );

  await cp.kubectl(['patch', 'cm', 'b', '-n', 'cli', '--type=merge', '-p', '{"data":{"v":"2"}}']);
  const inSync = await driftgate(['diff', '--config', cfgFile, '--source', 'cli']);
  t.equal(inSync.code, 0, inSync.stdout);
  t.match(inSync.stdout, 'in sync');
  const none = await driftgate(['diff', '--config', cfgFile, '--source', 'other']);
  t.equal(none.code, 2);
  t.match(none.stderr, 'no source named other');

  // With the platform's policies the gate runs as in the sync: what it would hold says "held".
  const policies = policyDir(GOOD_POLICY);
  t.teardown(policies.cleanup);
  const gated = join(dir, 'gated.yaml');
  writeFileSync(
    gated,
    stringify({
      namespace: 'driftgate-system',
      policies: { dir: policies.dir, opaPath: opa, gate: 'enforce' },
      sources: [source],
    }),
  );
  writeFileSync(join(work, 'app', 'a.yaml'), configMap('a', { forbidden: 'yes' }));
  writeFileSync(join(work, 'app', 'b.yaml'), configMap('b', { v: '2' }));
  const held = await driftgate(['diff', '--config', gated, '--local', work]);
  t.equal(held.code, 1, held.stderr);
  t.match(
    held.stdout,
    '  held ConfigMap cli/a (app/a.yaml): the gate holds it: [demo/no_forbidden] key forbidden is not allowed',
  );
  const ungated = await driftgate(['diff', '--config', cfgFile, '--local', work]);
  t.match(ungated.stdout, '  update ConfigMap cli/a (app/a.yaml)', 'without policies: an update');
});
