// `driftgate status`: every source's status from a running reconciler's status API (or, with
// -n/-A, GitSources through the kubeconfig: cli/sources.ts).
import { readFileSync } from 'node:fs';
import { has, str, type CliArgs } from './args.js';
import { emit, formatOf } from './output.js';
import { sourcesStatus } from './sources.js';

export const STATUS_USAGE = `driftgate status [--url <url>] [--token-file <file>] [-o text|json|yaml]
driftgate status (-n <namespace> | -A) [--kubeconfig <file>] [--context <name>] [-o text|json|yaml]

Without -n/-A: every source's status from a running reconciler's status API (--url, else
DRIFTGATE_STATUS_URL, else http://127.0.0.1:8080), authenticated with its control token or a
Kubernetes token (--token-file, else DRIFTGATE_TOKEN): RBAC decides which sources it shows.
With -n/-A: GitSources and their conditions through the kubeconfig.
Exit codes: 0 every source synced (or suspended; with -n/-A: Ready), 3 otherwise, 1 the
reconciler or the apiserver could not be asked (the message says why), 2 a bad command line.`;

interface SourceStatus {
  name: string;
  syncStatus: string;
  health: string;
  revision: string | null;
  lastError: string | null;
  drifted: { object: string; diff: string }[];
}

async function fetchStatus(a: CliArgs): Promise<SourceStatus[] | string> {
  const url = str(a, 'url') ?? process.env.DRIFTGATE_STATUS_URL ?? 'http://127.0.0.1:8080';
  const tokenFile = str(a, 'token-file');
  let token: string | undefined;
  try {
    token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : process.env.DRIFTGATE_TOKEN;
  } catch (err) {
    return `cannot read --token-file ${tokenFile}: ${(err as Error).message}`;
  }
  try {
    const r = await fetch(`${url}/status`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!r.ok) {
      const why = ((await r.json().catch(() => ({}))) as { error?: string }).error;
      return `the reconciler at ${url} answered ${r.status}${why ? `: ${why}` : ''} (pass --token-file or set DRIFTGATE_TOKEN)`;
    }
    return (await r.json()) as SourceStatus[];
  } catch (err) {
    return `cannot reach the reconciler at ${url} (${(err as Error).message}); pass --url or set DRIFTGATE_STATUS_URL`;
  }
}

export async function status(a: CliArgs): Promise<number> {
  if (str(a, 'namespace') !== undefined || has(a, 'all-namespaces')) return sourcesStatus(a);
  const sources = await fetchStatus(a);
  if (typeof sources === 'string') {
    console.error(`driftgate status: ${sources}`);
    return 1;
  }
  const format = formatOf(a);
  if (format !== 'text') emit(format, { sources });
  else
    for (const s of sources) {
      console.log(
        `${s.name.padEnd(20)} ${s.syncStatus.padEnd(11)} ${s.health.padEnd(12)} ${(s.revision ?? '-').slice(0, 12)}${s.lastError ? `  error: ${s.lastError}` : ''}`,
      );
      for (const d of s.drifted) console.log(`    drift ${d.object}: ${d.diff}`);
    }
  return sources.every((s) => s.syncStatus === 'Synced' || s.syncStatus === 'Suspended') ? 0 : 3;
}
