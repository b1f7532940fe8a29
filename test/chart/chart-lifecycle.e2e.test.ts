import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { exec } from '../../core/exec.js';
import { startControlPlane } from '../support/control-plane.js';
import { CRDS } from '../support/gitsources.js';
import { toolPath } from '../support/tools.js';

// The chart's release lifecycle for its CRD with the real helm against the real apiserver (no
// node runs the pods; the webhook is left out so that nothing waits on it): helm upgrade changes
// the CRD, rollback restores it, uninstall keeps it and its GitSources; the 0.1.x adoption steps
// of the chart README work; the ArtifactHub metadata matches the chart.
const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'driftgate');
const work = mkdtempSync(join(tmpdir(), 'dg-chart-life-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const CRD = 'crd/gitsources.driftgate.io';

interface ChartYaml {
  version: string;
  appVersion: string;
  license?: string;
  annotations: Record<string, string>;
}
const chartYaml = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as ChartYaml;
const crdDoc = parse(readFileSync(CRDS, 'utf8')) as {
  metadata: { name: string };
  spec: {
    names: { kind: string };
    versions: { name: string; additionalPrinterColumns?: { name: string }[] }[];
  };
};

t.test(
  'ArtifactHub annotations name the image, the CRD and the licence the chart ships',
  async (t) => {
    const a = chartYaml.annotations;
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as {
      image: { repository: string };
    };
    t.same(parse(a['artifacthub.io/images'] ?? ''), [
      { name: 'driftgate', image: `${values.image.repository}:${chartYaml.appVersion}` },
    ]);
    t.same(
      (
        parse(a['artifacthub.io/crds'] ?? '') as { kind: string; version: string; name: string }[]
      ).map((c) => [c.kind, c.version, c.name]),
      [[crdDoc.spec.names.kind, crdDoc.spec.versions[0]?.name, crdDoc.metadata.name]],
    );
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string };
    t.equal(a['artifacthub.io/license'], pkg.license);
    t.ok((parse(a['artifacthub.io/links'] ?? '') as unknown[]).length >= 1);
  },
);

t.test('install, upgrade with a changed CRD, rollback, uninstall: no GitSource lost', async (t) => {
  const cp = await startControlPlane();
  t.teardown(() => cp.stop());
  const helm = (args: string[]) =>
    exec(toolPath('helm'), [...args, '--kubeconfig', cp.kubeconfigs.admin, '-n', 'life'], {
      cwd: root,
      timeoutMs: 120_000,
    });
  const must = async (args: string[], input?: string) => {
    const r = await cp.kubectl(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const columns = async () =>
    (
      await must([
        'get',
        CRD,
        '-o',
        'jsonpath={.spec.versions[0].additionalPrinterColumns[*].name}',
      ])
    )
      .split(' ')
      .filter(Boolean);
  // The webhook configurations are left out: no node runs its pods, and this is about the CRD.
  const noWebhook = ['--set', 'webhook.replicas=1', '--set', 'webhook.failurePolicy=Ignore'];

  // 0.1.x shipped the CRD in crds/: a cluster has it without the release's ownership.
  await must(['apply', '-f', CRDS]);
  // Another tool (Kyverno, Policy Reporter) installed the PolicyReport CRD: the chart leaves it be.
  const polr = join(chart, 'files', 'policy-reports', 'wgpolicyk8s.io_policyreports.yaml');
  await must(['apply', '--server-side', '--field-manager=other-tool', '-f', polr]);
  const refused = await helm(['install', 'driftgate', chart, '--create-namespace', ...noWebhook]);
  t.not(refused.code, 0, 'the release does not take a CRD it does not own');
  t.match(refused.stderr, 'gitsources.driftgate.io');
  // The chart README's adoption steps, as written there.
  const readme = readFileSync(join(chart, 'README.md'), 'utf8');
  const steps = [
    ...readme.matchAll(/^ {2}kubectl (?:annotate|label) crd (?:[^\n]*\\\n)*[^\n]*$/gm),
  ].map((m) => m[0].trim().replace(/\\\n\s*/g, ''));
  t.equal(steps.length, 2, 'the README gives two adoption commands');
  for (const s of steps)
    await must(
      s
        .split(/\s+/)
        .slice(1)
        .map((w) => w.replace('driftgate-system', 'life')),
    );

  const installed = await helm(['install', 'driftgate', chart, '--create-namespace', ...noWebhook]);
  t.equal(installed.code, 0, installed.stderr);
  t.match(
    installed.stdout,
    'failurePolicy is Ignore (a write the webhook cannot judge goes through unchecked)',
  );
  t.match(installed.stdout, 'helm uninstall leaves the GitSource CRD and every GitSource');
  await must(['wait', '--for=condition=Established', CRD]);
  t.equal(
    await must([
      'get',
      'crd',
      'policyreports.wgpolicyk8s.io',
      '-o',
      'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}',
    ]),
    '',
    "another tool's PolicyReport CRD is not taken over",
  );
  t.equal(
    (await cp.kubectl(['get', 'crd', 'clusterpolicyreports.wgpolicyk8s.io'])).code,
    0,
    'the missing ClusterPolicyReport CRD is installed',
  );
  t.equal(
    await must(['get', CRD, '-o', 'jsonpath={.metadata.annotations.helm\\.sh/resource-policy}']),
    'keep',
  );
  // The ArtifactHub example is a GitSource the apiserver takes.
  const example = chartYaml.annotations['artifacthub.io/crdsExamples'] ?? '';
  await must(['create', 'namespace', 'shop-dev']);
  await must(['apply', '-f', '-'], stringify(parse(example)[0]));
  const before = await columns();

  // The next chart version changes the CRD: a printer column more. helm upgrade applies it.
  const next = join(work, 'next');
  cpSync(chart, next, { recursive: true, dereference: true });
  const nextCrd = parse(readFileSync(CRDS, 'utf8')) as typeof crdDoc;
  nextCrd.spec.versions[0]?.additionalPrinterColumns?.push({
    name: 'Upgraded',
    type: 'string',
    jsonPath: '.spec.ref',
  } as { name: string });
  writeFileSync(join(next, 'files', 'gitsources.driftgate.io.yaml'), stringify(nextCrd));
  const up = await helm(['upgrade', 'driftgate', next, ...noWebhook]);
  t.equal(up.code, 0, up.stderr);
  t.same(await columns(), [...before, 'Upgraded'], 'helm upgrade updated the CRD');
  t.equal((await cp.kubectl(['get', 'gitsource', 'shop', '-n', 'shop-dev'])).code, 0);

  const back = await helm(['rollback', 'driftgate', '1']);
  t.equal(back.code, 0, back.stderr);
  t.same(await columns(), before, 'helm rollback restored the CRD');
  t.equal((await cp.kubectl(['get', 'gitsource', 'shop', '-n', 'shop-dev'])).code, 0);

  const un = await helm(['uninstall', 'driftgate', '--wait']);
  t.equal(un.code, 0, un.stderr);
  t.equal((await cp.kubectl(['get', CRD])).code, 0, 'the CRD is kept');
  t.equal(
    (await cp.kubectl(['get', 'gitsource', 'shop', '-n', 'shop-dev'])).code,
    0,
    'and the GitSource with it',
  );
  const left = await must([
    'get',
    'clusterroles,clusterrolebindings,validatingwebhookconfigurations,mutatingwebhookconfigurations',
    '-l',
    'app.kubernetes.io/instance=driftgate',
    '-o',
    'name',
  ]);
  t.same(left.trim(), '', 'nothing else of the release is left');

  // Installed again, the release takes its kept CRD back; with crds.keep=false uninstall removes it.
  const again = await helm([
    'install',
    'driftgate',
    chart,
    ...noWebhook,
    '--set',
    'crds.keep=false',
  ]);
  t.equal(again.code, 0, again.stderr);
  t.equal((await helm(['uninstall', 'driftgate', '--wait'])).code, 0);
  t.not((await cp.kubectl(['get', CRD])).code, 0, 'crds.keep=false: uninstall deletes the CRD');
});
