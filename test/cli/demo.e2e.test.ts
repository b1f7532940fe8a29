import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runDemo, type Demo } from '../../scripts/demo/run.js';
import { DASHBOARDS } from '../../dashboards/generate.js';
import { runCli } from '../support/run-cli.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/processes.js';
import { exec } from '../../core/exec.js';
import { toolPath } from '../support/tools.js';

const lines: string[] = [];
let started: Demo | undefined;
const running = runDemo((l) => lines.push(l)).then((d) => (started = d));
t.teardown(() => started?.stop());

// `npm run demo` is the README's first command: run its steps to the narrated end (in this
// process; scripts/demo/main.ts only adds Ctrl-C handling) and check that each thing it promises happened.
t.test('the demo runs to its end: sync, denial, policies, break-glass reverted', async (t) => {
  await running;
  const out = lines.join('\n');
  t.match(out, /dev: Synced, revision [0-9a-f]{12}, signed by ssh:platform@example.com, 2 objects/);
  t.match(
    out,
    /prod: Synced, revision [0-9a-f]{12}, signed by ssh:platform@example.com, 2 objects/,
  );
  t.match(out, /shop-prod\s+web\s+3\/3/, 'prod rolled out on the simulated node');
  t.match(
    out,
    /shop-dev\s+shop\s+[0-9a-f]{40}\s+True\s+True\s+True\s+0/,
    'kubectl get gitsources -A',
  );
  t.match(
    out,
    'denied the request: driftgate: Deployment shop-prod/web (scale) is managed from Git by source "shop-prod.shop"',
  );
  t.match(out, '/spec/replicas (Git: 3, request: 1)');
  t.match(out, '[images/disallow_latest]');
  t.match(out, '[config/no_debug] ConfigMap debug turns debug on');
  t.match(out, 'Warning: break-glass: Git-declared fields are restored after');
  t.match(out, /reverted to 3 replicas, the state Git declares/);
  t.match(out, /driftgate_manual_changes_total\{source="shop-prod.shop",action="denied"\} [1-9]/);
  t.match(out, /driftgate_break_glass_uses_total\{source="shop-prod.shop"\} 1/);
  t.notMatch(out, 'unexpectedly allowed');
});

// Every dashboard panel against a real Prometheus (Debian package) scraping the running demo.
t.test(
  'every dashboard query returns data from a real Prometheus scraping driftgate',
  async (t) => {
    const demo = await running;
    const dir = mkdtempSync(join(tmpdir(), 'dg-prom-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const target = (u: string) => new URL(u).host;
    // The chart's rules, evaluated every second here: the Delivery dashboard reads their records.
    const rules = ['alerts.yaml', 'delivery-rules.yaml'].map((f) => {
      const text = readFileSync(join(import.meta.dirname, '..', '..', 'dashboards', f), 'utf8');
      writeFileSync(join(dir, f), text.replace(/^ {4}interval: \w+$/gm, '    interval: 1s'));
      return join(dir, f);
    });
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: rules,
        scrape_configs: [
          {
            job_name: 'driftgate-reconciler',
            static_configs: [{ targets: [target(demo.urls.reconcilerMetrics)] }],
          },
          {
            job_name: 'driftgate-webhook',
            static_configs: [{ targets: [target(demo.urls.webhookMetrics)] }],
          },
        ],
      }),
    );
    const port = await freePort();
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    t.teardown(() => void prom.kill('SIGTERM'));
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (expr: string) =>
      (await (await fetch(`${api}/query?query=${encodeURIComponent(expr)}`)).json()) as {
        status: string;
        error?: string;
        data?: { result: unknown[] };
      };
    const control = { method: 'POST', headers: { authorization: `Bearer ${demo.controlToken}` } };
    await fetch(`${demo.urls.status}/audit`, control);
    // Something for the on-call table of sources that need attention: a suspended source.
    t.equal(
      (await runCli(['suspend', 'shop', '-n', 'shop-dev', '--kubeconfig', demo.kubeconfig])).code,
      0,
    );
    await waitFor(
      'both targets scraped 5 times',
      async () => {
        const r = await query('count_over_time(up[1m])').catch(() => undefined);
        return (
          (r?.data?.result as { value: [number, string] }[] | undefined)?.filter(
            (s) => Number(s.value[1]) >= 5,
          ).length === 2
        );
      },
      60_000,
      500,
    );
    // Something for the delivery figures to rate while Prometheus watches: a commit applied
    // (a revision, a deployment, a change through Git) and a write the policies deny.
    await demo.commit(
      {
        'envs/prod/extra.yaml': stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'extra' },
          data: { added: 'while Prometheus watches' },
        }),
      },
      'one more ConfigMap',
    );
    t.equal((await fetch(`${demo.urls.status}/sources/shop-prod.shop/sync`, control)).status, 200);
    const denied = await exec(toolPath('kubectl'), [
      '--kubeconfig',
      demo.kubeconfig,
      'create',
      'configmap',
      'debug',
      '-n',
      'shop-dev',
      '--from-literal=debug=true',
    ]);
    t.match(denied.stderr, '[config/no_debug]', 'a write the policies deny');
    for (const record of [
      // The suspended source, as the on-call table shows it.
      'driftgate_source_info{sync_status="Suspended"} == 1',
      'driftgate:deployments:increase1d',
      'driftgate:change_failure_ratio:1w',
      'driftgate:git_change_ratio:1w',
      'driftgate:policy_violations_per_request:ratio_rate1h',
    ])
      await waitFor(
        `${record} recorded`,
        async () => {
          const r = await query(record).catch(() => undefined);
          return (r?.data?.result.length ?? 0) > 0;
        },
        60_000,
        500,
      );
    let queries = 0;
    for (const d of DASHBOARDS)
      for (const row of d.rows)
        for (const panel of row.panels)
          for (const target of panel.targets) {
            const r = await query(target.expr.replaceAll('$__rate_interval', '5s'));
            queries++;
            t.equal(r.status, 'success', `${d.uid} / ${panel.title}: ${r.error ?? ''}`);
            t.ok(
              (r.data?.result.length ?? 0) > 0,
              `${d.uid} / ${panel.title}: returns data (${target.expr})`,
            );
          }
    t.ok(queries >= 40, `${queries} panel queries`);
  },
);
