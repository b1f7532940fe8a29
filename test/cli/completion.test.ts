import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import { runCli } from '../support/run-cli.js';

// The completion scripts run in the real shells (bash, zsh with compsys, fish), installed by
// scripts/tools.sh from Debian's packages.
const dir = mkdtempSync(join(tmpdir(), 'dg-completion-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const script = async (shell: string): Promise<string> => {
  const r = await runCli(['completion', shell]);
  if (r.code !== 0) throw new Error(r.stderr);
  const file = join(dir, `driftgate.${shell}`);
  writeFileSync(file, `${r.stdout}\n`);
  return file;
};
const words = (s: string): string[] => [...new Set(s.split(/\s+/).filter(Boolean))].sort();

async function bash(file: string, line: string[]): Promise<string[]> {
  const quoted = line.map((w) => `'${w}'`).join(' ');
  const r = await exec(
    'bash',
    [
      '-c',
      `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${line.length - 1}; _driftgate; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { cwd: dir, timeoutMs: 60_000 },
  );
  if (r.code !== 0) throw new Error(r.stderr);
  return words(r.stdout);
}
async function fish(file: string, line: string): Promise<string[]> {
  const r = await exec('fish', ['-c', `source '${file}'; complete -C '${line}'`], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(r.stderr);
  return words(r.stdout.replace(/\t[^\n]*/g, ''));
}
async function zsh(file: string, line: string): Promise<string[]> {
  const harness = join(import.meta.dirname, '..', 'support', 'zsh-complete.zsh');
  const r = await exec('zsh', ['-f', harness, line, file], { cwd: dir, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(r.stderr);
  return words(r.stdout);
}

t.test('bash, zsh and fish complete commands, flags and flag values', async (t) => {
  const b = await script('bash');
  const z = await script('zsh');
  const f = await script('fish');
  // Commands.
  t.same(await bash(b, ['driftgate', 'st']), ['status']);
  t.same(await zsh(z, 'driftgate st'), ['status']);
  t.same(await fish(f, 'driftgate st'), ['status']);
  // The values a flag takes.
  t.same(await bash(b, ['driftgate', 'status', '-o', '']), ['json', 'text', 'yaml']);
  t.same(await zsh(z, 'driftgate status -o '), ['json', 'text', 'yaml']);
  t.same(await fish(f, 'driftgate status -o '), ['json', 'text', 'yaml']);
  t.same(await bash(b, ['driftgate', 'diff', '--gate', '']), ['enforce', 'off', 'warn']);
  t.same(await fish(f, 'driftgate diff --gate '), ['enforce', 'off', 'warn']);
  t.same(await zsh(z, 'driftgate completion '), ['bash', 'fish', 'zsh']);
  // A command's own flags.
  t.same(await bash(b, ['driftgate', 'diff', '--ga']), ['--gate']);
  t.same(await zsh(z, 'driftgate diff --ga'), ['--gate']);
  t.same(await fish(f, 'driftgate diff --ga'), ['--gate']);
  t.same(await bash(b, ['driftgate', 'verify', '--']), ['--help', '--output', '--trust']);
  t.same(await fish(f, 'driftgate verify --'), ['--help', '--output', '--trust']);
});

t.test('an unknown shell is refused', async (t) => {
  const r = await runCli(['completion', 'tcsh']);
  t.equal(r.code, 2);
  t.match(r.stderr, 'name the shell: bash, zsh or fish');
});
