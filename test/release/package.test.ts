// The npm package as a user installs it: `npm pack` of this package.json, then `npm install -g`
// of the tarball into a fresh prefix, then the installed `driftgate` on PATH. Built into a copy of
// the tree (the work tree's dist/ is not touched), with the product's own tsconfig.
import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import { toolPath } from '../support/tools.js';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'dg-package-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  exec('npm', args, { cwd, timeoutMs: 300_000, env: { ...process.env, ...env } });

// The package's tree: what package.json, its `files` and npm's own rules may take.
const pkg = join(work, 'pkg');
mkdirSync(pkg);
for (const f of ['package.json', 'README.md', 'LICENSE', 'NOTICE', 'policies'])
  cpSync(join(root, f), join(pkg, f), { recursive: true });
const built = await exec(
  join(root, 'node_modules', '.bin', 'tsc'),
  ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')],
  { timeoutMs: 300_000 },
);
if (built.code !== 0) throw new Error(`tsc: ${built.stdout}${built.stderr}`);

t.test('npm pack takes the build, the policy library and the licence; no tests', async (t) => {
  const dry = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], pkg);
  t.equal(dry.code, 0, dry.stderr);
  const files = (JSON.parse(dry.stdout) as { files: { path: string }[] }[])[0]?.files.map(
    (f) => f.path,
  );
  t.ok(files?.includes('dist/cli/main.js'), 'the bin');
  t.ok(files?.includes('dist/policies/engine/pool/worker.js'), 'the evaluation worker');
  t.ok(files?.includes('policies/lib/pods.rego'), 'the built-in policy library');
  t.ok(files?.includes('LICENSE') && files.includes('NOTICE'), 'LICENSE and NOTICE');
  t.same(
    files?.filter((f) => f.startsWith('test/') || f.endsWith('.ts') || f.startsWith('bench/')),
    [],
    'no tests, benches or TypeScript sources',
  );
});

t.test('npm install -g of the tarball: driftgate --version and check work', async (t) => {
  const packed = await npm(['pack', '--ignore-scripts', '--pack-destination', work], pkg);
  t.equal(packed.code, 0, packed.stderr);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'a tarball');
  const prefix = join(work, 'prefix');
  const installed = await npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, tarball ?? ''),
    ],
    work,
  );
  t.equal(installed.code, 0, installed.stderr);
  // As a user runs it: `driftgate` found on PATH, with opa on PATH too.
  const PATH = [join(prefix, 'bin'), join(toolPath('opa'), '..'), process.env.PATH].join(':');
  const version = await exec('driftgate', ['--version'], {
    env: { ...process.env, PATH },
    timeoutMs: 60_000,
  });
  const { version: want } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  t.equal(version.stdout.trim(), `driftgate ${want}`);
  // The installed package finds its own policy library.
  const sample = join(root, 'policies', 'images', 'disallow_latest', 'samples');
  const checked = await exec('driftgate', ['check', sample], {
    env: { ...process.env, PATH, XDG_CACHE_HOME: join(work, 'cache') },
    timeoutMs: 120_000,
  });
  t.match(checked.stdout, /objects checked against \d+ policies/, checked.stderr);
});
