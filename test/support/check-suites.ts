// `driftgate check <dir> --suites --output json` run in this process, with its report read.
import type { CaseResult } from '../../policies/engine/gatekeeper/suite.js';
import { runCli, type CliRun } from './run-cli.js';
import { toolPath } from './tools.js';

export interface SuitesReport {
  readonly results: CaseResult[];
  readonly unsupported: Record<string, string>;
}

/** The suites under `dir`, freshly built (no cache); the run and its parsed report. */
export async function checkSuites(dir: string): Promise<{ run: CliRun; report: SuitesReport }> {
  const run = await runCli([
    'check',
    dir,
    '--suites',
    '--output',
    'json',
    '--opa',
    toolPath('opa'),
    '--no-cache',
  ]);
  return { run, report: JSON.parse(run.stdout) as SuitesReport };
}
