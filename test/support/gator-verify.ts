// One gator suite run two ways: by the real `gator verify` and by driftgate's `check --suites`.
import type { Test } from 'tap';
import { exec } from '../../core/exec.js';
import { verifySuites } from '../../policies/engine/gatekeeper/verify.js';
import { toolPath } from './tools.js';

/** The suite under `root` passes under the real `gator verify`, and every case passes here too. */
export async function bothPass(t: Test, root: string, cases: readonly string[]): Promise<void> {
  const gator = await exec(toolPath('gator'), ['verify', '-v', root], { timeoutMs: 120_000 });
  t.equal(gator.code, 0, `gator verify passes the suite: ${gator.stdout}${gator.stderr}`);
  const report = await verifySuites(root, { opaPath: toolPath('opa') });
  t.same([...report.unsupported.keys()], [], 'every template runs here');
  t.same(
    report.results.map((r) => [r.case, r.ok, r.message]),
    cases.map((c) => [c, true, undefined]),
    'driftgate agrees',
  );
}
