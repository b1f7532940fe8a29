// Tools named without a path (issue 27 finding 6): opa, helm and kustomize found on PATH once at
// start, as users install them, and run by that path (the child itself runs without PATH). The
// real tools, symlinked into a bin folder that is the whole PATH; no --opa/--helm/--kustomize.
import t from 'tap';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { requiredTool, withTools } from '../../cli/tools.js';
import { resolveTool } from '../../core/tool-path.js';
import { GOOD_POLICY, policyDir } from '../support/policy-dirs.js';
import { configMap } from '../support/reconciler.js';
import { freePort } from '../support/ports.js';
import { supervise, waitFor, withoutCoverage } from '../support/processes.js';
import { runCli } from '../support/run-cli.js';
import { toolPath } from '../support/tools.js';

const dir = t.testdir({ good: { 'cm.yaml': configMap('fine', { a: 'b' }) }, empty: {} });
const bin = join(dir, 'bin');
mkdirSync(bin);
for (const tool of ['opa', 'helm', 'kustomize'] as const)
  symlinkSync(toolPath(tool), join(bin, tool));
const policies = policyDir(GOOD_POLICY);
t.teardown(policies.cleanup);

/** Run `driftgate check` with `path` as the whole PATH. */
async function checkWith(path: string, args: string[]) {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await runCli(['check', ...args]);
  } finally {
    process.env.PATH = saved;
  }
}

t.test('check with opa, helm and kustomize only on PATH', async (t) => {
  const base = ['--policies', policies.dir, '--no-cache'];
  const plain = await checkWith(bin, [join(dir, 'good'), ...base]);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, '1 objects checked against 1 policies: 0 violations');
  const chart = await checkWith(bin, ['test/fixtures/public/podinfo/charts/podinfo', ...base]);
  t.equal(chart.code, 0, `a chart, rendered by helm from PATH: ${chart.stderr}`);
  t.match(chart.stdout, /objects checked/);
  const kus = await checkWith(bin, ['test/fixtures/public/podinfo/kustomize', ...base]);
  t.equal(kus.code, 0, `a kustomization, by kustomize from PATH: ${kus.stderr}`);
  t.match(kus.stdout, /objects checked/);
});

t.test('a tool on no PATH: one line naming it and how to install it', async (t) => {
  const none = await checkWith(join(dir, 'empty'), [join(dir, 'good'), '--policies', policies.dir]);
  t.equal(none.code, 2);
  t.equal(
    none.stderr,
    'driftgate check: --opa: "opa" was not found on PATH; install it (https://www.openpolicyagent.org/docs/latest/#running-opa) or set --opa to its absolute path',
  );
});

t.test('resolveTool: a path is kept, a name is found, a non-executable is refused', async (t) => {
  t.equal(resolveTool('opaPath', 'opa', `${join(dir, 'empty')}:${bin}`), join(bin, 'opa'));
  t.equal(resolveTool('opaPath', 'bin/opa', '', dir), join(bin, 'opa'), 'relative to cwd');
  const plainFile = join(dir, 'not-a-tool');
  writeFileSync(plainFile, 'x');
  chmodSync(plainFile, 0o644);
  t.throws(() => resolveTool('helmPath', plainFile, bin), {
    message: `helmPath: ${plainFile} is not an executable file`,
  });
  t.throws(() => resolveTool('helmPath', 'not-a-tool', dir), {
    message:
      'helmPath: "not-a-tool" was not found on PATH; install it or set helmPath to its absolute path',
  });
});

t.test('serve, reconcile and diff: their configured tools found once at start', async (t) => {
  const saved = process.env.PATH;
  process.env.PATH = bin;
  const errors: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  try {
    t.equal(requiredTool('serve', 'opaPath', 'opa'), join(bin, 'opa'));
    const cfg = {
      helmPath: 'helm',
      kustomizePath: 'kustomize',
      policies: { opaPath: 'opa' } as never,
    };
    t.strictSame(withTools('reconcile', cfg), {
      helmPath: join(bin, 'helm'),
      kustomizePath: join(bin, 'kustomize'),
      policies: { opaPath: join(bin, 'opa') },
    });
    process.env.PATH = join(dir, 'empty');
    t.strictSame(
      withTools('reconcile', cfg),
      cfg,
      'none found: the names kept (only what needs one fails)',
    );
    t.strictSame(withTools('diff', { ...cfg, kustomizePath: '/abs/kustomize' }, false), {
      ...cfg,
      kustomizePath: '/abs/kustomize',
    });
  } finally {
    process.env.PATH = saved;
    console.error = error;
  }
  t.strictSame(errors, [
    'driftgate reconcile: helmPath: "helm" was not found on PATH; install it (https://helm.sh/docs/intro/install/) or set helmPath to its absolute path (what needs it fails)',
    'driftgate reconcile: kustomizePath: "kustomize" was not found on PATH; install it (https://kubectl.docs.kubernetes.io/installation/kustomize/) or set kustomizePath to its absolute path (what needs it fails)',
    'driftgate reconcile: policies.opaPath: "opa" was not found on PATH; install it (https://www.openpolicyagent.org/docs/latest/#running-opa) or set policies.opaPath to its absolute path (what needs it fails)',
    'driftgate diff: helmPath: "helm" was not found on PATH; install it (https://helm.sh/docs/intro/install/) or set helmPath to its absolute path (what needs it fails)',
    'driftgate diff: kustomizePath: /abs/kustomize is not an executable file (what needs it fails)',
  ]);
});

t.test('driftgate serve with opaPath: opa becomes ready with opa only on PATH', async (t) => {
  const port = await freePort();
  const cfg = join(dir, 'webhook.yaml');
  writeFileSync(
    cfg,
    stringify({
      port,
      metricsPort: await freePort(),
      policyDir: policies.dir,
      tls: { generateDir: join(dir, 'tls'), dnsNames: ['localhost'] },
    }),
  );
  const root = join(import.meta.dirname, '..', '..');
  const serve = supervise(
    'serve',
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      join(root, 'cli/main.ts'),
      'serve',
      '--config',
      cfg,
    ],
    join(dir, 'serve.log'),
    // opa, helm and kustomize only where a user would have them: nothing else on PATH.
    { ...withoutCoverage(), PATH: bin },
  );
  t.teardown(() => serve.stop());
  await waitFor(
    'the webhook ready (its policies built with opa from PATH)',
    async () => {
      const r = await new Promise<number>((resolve, reject) =>
        httpsGet(`https://127.0.0.1:${port}/readyz`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject),
      );
      return r === 200;
    },
    90_000,
    250,
  );
  t.pass('ready');
});
