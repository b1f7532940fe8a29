import t from 'tap';
import { checkSuites } from '../support/check-suites.js';
import { join } from 'node:path';
import { exec } from '../../core/exec.js';
import { toolPath } from '../support/tools.js';

// The public Gatekeeper library's general and pod-security-policy templates, with their own
// samples, constraints and suites (test/fixtures/public/gatekeeper-library, Apache-2.0): the
// same verdicts under `driftgate check --suites` as under the real `gator verify`.
const library = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'public',
  'gatekeeper-library',
  'library',
);

/** `gator verify -v` output → suite file (relative to the library) + test/case → passed. */
function gatorVerdicts(out: string): Map<string, boolean> {
  const verdicts = new Map<string, boolean>();
  let test = '';
  let pending: [string, boolean][] = [];
  for (const line of out.split('\n')) {
    const run = /^=== RUN\s+(\S+)/.exec(line);
    if (run?.[1]) test = run[1];
    const done = /^ {4}--- (PASS|FAIL): (\S+)/.exec(line);
    if (done) pending.push([`${test}/${done[2]}`, done[1] === 'PASS']);
    const path = /^(?:ok|FAIL)\s+(\S+suite\.yaml)/.exec(line)?.[1];
    if (path) {
      const file = path.slice(path.lastIndexOf('/library/') + '/library/'.length);
      for (const [name, ok] of pending) verdicts.set(`${file} ${name}`, ok);
      pending = [];
    }
  }
  return verdicts;
}

t.test('the Gatekeeper library: driftgate check --suites agrees with gator verify', async (t) => {
  const gator = await exec(toolPath('gator'), ['verify', '-v', `${library}/...`], {
    timeoutMs: 120_000,
  });
  const theirs = gatorVerdicts(gator.stdout + gator.stderr);
  t.ok(theirs.size >= 250, `gator ran ${theirs.size} cases`);

  const { run: ran, report } = await checkSuites(library);
  // Every template runs: httpsonly's template, whose double-quoted description continues at its
  // key's indentation (line 33: Go's YAML parser takes it, YAML 1.2 does not), is read as Go reads it.
  t.same(report.unsupported, {}, 'no template refused');
  t.equal(ran.code, 0, 'exit 0: every case passed');

  const compared = report.results.filter((r) => r.unsupported === undefined && !r.skipped);
  const differ = compared
    .map((r) => ({ key: `${r.suite} ${r.test}/${r.case}`, ours: r.ok, message: r.message }))
    .filter((r) => theirs.get(r.key) !== r.ours);
  t.same(differ, [], 'every case both can run: the same verdict');
  const keys = new Set(compared.map((r) => `${r.suite} ${r.test}/${r.case}`));
  t.same(
    [...theirs.keys()].filter((k) => !keys.has(k)),
    [],
    'every case gator ran was compared',
  );
  t.ok(
    compared.every((r) => r.ok),
    'and gator passes them all, so driftgate passes them all',
  );
});
