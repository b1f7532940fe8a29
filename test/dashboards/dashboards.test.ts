import t from 'tap';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS, fileOf, render } from '../../dashboards/generate.js';
import { exec } from '../../core/exec.js';
import { ReconcilerMetrics } from '../../reconciler/metrics.js';
import { AdmissionMetrics } from '../../webhook/metrics.js';

// The dashboards and alert rules as files: up to date, wired to metrics that exist, and checked
// and unit-tested by the real promtool. (test/cli/demo.e2e.test.ts runs every panel query against
// a real Prometheus scraping a running driftgate.)
const dir = join(import.meta.dirname, '..', '..', 'dashboards');

/** Every metric name driftgate exports (histograms with their _bucket, _sum and _count). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new AdmissionMetrics().registry, new ReconcilerMetrics().registry])
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === 'histogram')
        for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    }
  return names;
}

t.test('five dashboards, committed as the generator writes them', async (t) => {
  t.equal(DASHBOARDS.length, 5);
  for (const d of DASHBOARDS) {
    const file = JSON.parse(readFileSync(join(dir, fileOf(d)), 'utf8'));
    t.same(file, render(d), `${fileOf(d)} is up to date (npm run dashboards)`);
    t.match(file, {
      uid: /^driftgate-/,
      templating: { list: [{ name: 'DS_PROMETHEUS', type: 'datasource' }] },
    });
    const rows = file.panels.filter((p: { type: string }) => p.type === 'row');
    t.ok(rows.length >= 2, `${d.uid} has rows per concern`);
    for (const p of file.panels.filter((p: { type: string }) => p.type !== 'row'))
      t.equal(p.datasource.uid, '${DS_PROMETHEUS}', `${p.title} uses the datasource variable`);
  }
  t.same(new Set(DASHBOARDS.map((d) => d.uid)).size, 5, 'uids are unique');
});

t.test('every query uses only metrics driftgate exports', async (t) => {
  const names = await exported();
  const used = new Set<string>();
  for (const d of DASHBOARDS)
    for (const r of d.rows)
      for (const p of r.panels)
        for (const q of p.targets)
          for (const m of q.expr.matchAll(/\bdriftgate_[a-z_]+/g)) used.add(m[0]);
  for (const file of ['alerts.yaml', 'delivery-rules.yaml'])
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/\bdriftgate_[a-z_]+/g))
      used.add(m[0]);
  t.ok(used.size > 20);
  for (const n of used)
    // Default process metrics carry the binaries' prefixes.
    if (!/^driftgate_(reconciler|webhook)_process_/.test(n)) t.ok(names.has(n), `${n} is exported`);
});

t.test('promtool: the rules check and their unit tests pass', async (t) => {
  for (const [file, tests, count] of [
    ['alerts.yaml', 'alerts.test.yaml', 13],
    ['delivery-rules.yaml', 'delivery-rules.test.yaml', 13],
  ] as const) {
    const checked = await exec('promtool', ['check', 'rules', file], { cwd: dir });
    t.equal(checked.code, 0, checked.stdout + checked.stderr);
    t.match(checked.stdout + checked.stderr, `SUCCESS: ${count} rules found`);
    const tested = await exec('promtool', ['test', 'rules', tests], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    t.equal(tested.code, 0, tested.stdout + tested.stderr);
    const rules = readFileSync(join(dir, file), 'utf8');
    const cases = readFileSync(join(dir, tests), 'utf8');
    for (const [, name] of rules.matchAll(/- alert: (\w+)/g))
      t.match(cases, `alertname: ${name}`, `${name} has a unit test`);
    for (const [, name] of rules.matchAll(/- record: (\S+)/g))
      t.match(cases, `expr: ${name}\n`, `${name} has a unit test`);
    for (const [, sev] of rules.matchAll(/severity: (\w+)/g))
      t.ok(['page', 'ticket'].includes(sev as string));
  }
});

t.test('the chart ships these very files', async (t) => {
  const chart = join(dir, '..', 'charts', 'driftgate', 'files');
  t.equal(realpathSync(join(chart, 'alerts.yaml')), realpathSync(join(dir, 'alerts.yaml')));
  t.equal(realpathSync(join(chart, 'dashboards')), realpathSync(dir));
});
