import t from 'tap';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closest, distance, parseCommand } from '../../cli/args.js';
import { COMMANDS } from '../../cli/options.js';
import { runCli } from '../support/run-cli.js';

t.test('flags: --flag value and --flag=value, short flags, booleans', async (t) => {
  const a = parseCommand('diff', ['--config=x.yaml', '-n', 'team', '--context', 'c', '-o', 'json']);
  if (typeof a === 'string') throw new Error(a);
  t.same(a.values, { config: 'x.yaml', namespace: 'team', context: 'c', output: 'json' });
  t.same(a.positionals, []);
  const s = parseCommand('status', ['-A', '--output=yaml']);
  t.same(typeof s === 'string' ? s : s.values, { 'all-namespaces': true, output: 'yaml' });
  const v = parseCommand('verify', ['https://git/x.git', 'main', '--trust', 't.yaml']);
  t.same(typeof v === 'string' ? v : v.positionals, ['https://git/x.git', 'main']);
});

t.test('refusals name the closest flag and never pass silently', async (t) => {
  t.equal(
    parseCommand('status', ['--outptu', 'json']),
    'unknown flag --outptu (did you mean --output?)',
  );
  t.equal(
    parseCommand('diff', ['--kubeconfg=x']),
    'unknown flag --kubeconfg (did you mean --kubeconfig?)',
  );
  t.equal(
    parseCommand('check', ['d', '--no-cach']),
    'unknown flag --no-cach (did you mean --no-cache?)',
  );
  t.equal(parseCommand('check', ['d', '--frobnicate']), 'unknown flag --frobnicate');
  t.equal(parseCommand('check', ['d', '-o', 'xml']), '--output takes text, json, yaml (not "xml")');
  t.equal(
    parseCommand('diff', ['--gate', 'strict']),
    '--gate takes enforce, warn, off (not "strict")',
  );
  t.match(parseCommand('serve', ['--config']), /--config <value>' argument missing/);
  t.equal(parseCommand('serve', ['extra']), 'takes no arguments ("extra" given)');
  t.equal(parseCommand('verify', ['a', 'b', 'c']), 'too many arguments: it takes <repoURL> <ref>');
  t.equal(parseCommand('bogus', []), 'unknown command "bogus"');
  // Every command takes --help, whatever else is wrong on the line.
  for (const c of Object.keys(COMMANDS).filter((c) => c !== 'help')) {
    const h = parseCommand(c, ['--help', 'extra', 'args', 'here']);
    t.equal(typeof h === 'string' ? h : h.values.help, true, `${c} --help`);
  }
});

t.test('closest: edit distance with a prefix preference', async (t) => {
  t.equal(distance('kitten', 'sitting'), 3);
  t.equal(distance('', 'abc'), 3);
  t.equal(closest('--out', ['--output', '--url']), '--output');
  t.equal(closest('--polices', ['--policies', '--opa']), '--policies');
  t.equal(closest('--xyz', ['--output', '--url']), undefined);
  t.equal(closest('stauts', Object.keys(COMMANDS)), 'status');
});

t.test('a bad command line exits 2 with the reason, before anything is read', async (t) => {
  const r = await runCli(['status', '--outptu', 'json']);
  t.equal(r.code, 2);
  t.equal(
    r.stderr,
    'driftgate status: unknown flag --outptu (did you mean --output?)\nRun "driftgate status --help" for its flags.',
  );
  t.equal(r.stdout, '');
  const cmd = await runCli(['stauts']);
  t.equal(cmd.code, 2);
  t.match(cmd.stderr, /^driftgate: unknown command "stauts" \(did you mean "status"\?\)/);
});

t.test('every --help is offline: no request reaches the status API or the apiserver', async (t) => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const dir = mkdtempSync(join(tmpdir(), 'dg-help-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`,
  );
  const saved = { url: process.env.DRIFTGATE_STATUS_URL, kc: process.env.KUBECONFIG };
  process.env.DRIFTGATE_STATUS_URL = `http://127.0.0.1:${port}`;
  process.env.KUBECONFIG = kubeconfig;
  t.teardown(() => {
    if (saved.url === undefined) delete process.env.DRIFTGATE_STATUS_URL;
    else process.env.DRIFTGATE_STATUS_URL = saved.url;
    if (saved.kc === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved.kc;
  });
  for (const c of Object.keys(COMMANDS)) {
    for (const argv of [
      [c, '--help'],
      [c, '-h', '-n', 'x'],
      ['help', c],
    ]) {
      const r = await runCli(argv);
      t.equal(r.code, 0, argv.join(' '));
      t.match(r.stdout, `driftgate ${c === 'help' ? '<command>' : c}`, argv.join(' '));
    }
  }
  // The same commands without --help do go to the network: the server above is what they reach.
  const live = await runCli(['status']);
  t.equal(live.code, 1);
  t.match(live.stderr, `the reconciler at http://127.0.0.1:${port} answered 500`);
  t.equal(requests, 1, 'only the one status call without --help reached the server');
});
