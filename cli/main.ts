#!/usr/bin/env node
// The driftgate command: the one composition root that reads argv and the environment.
import { optionalTool, withTools } from './tools.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { flag } from './args.js';
import { packageVersion } from './version.js';
import { sourceAction, sourcesStatus } from './sources.js';
import { configFiles, readConfigInputs } from '../reconciler/config/inputs.js';
import { usage } from '../core/schema/help.js';
import { parseReconcilerConfig, ReconcilerConfigError } from '../reconciler/config/parse.js';
import { ReconcilerConfigSchema } from '../reconciler/config/schema.js';
import { ConfigError, parseWebhookConfig } from '../webhook/config.js';
import { WebhookConfigSchema } from '../webhook/config-schema.js';

const USAGE = `driftgate <command> [options]

Commands:
  serve --config <file>      run the admission webhook (HTTPS) and its metrics endpoint
  reconcile --config <file>  run the reconciler (Git → cluster), its status API and metrics
  status [--url <url>] [--token-file <file>]
                            print every source's status from a running reconciler (its control
                            token, or a Kubernetes token: DRIFTGATE_TOKEN)
  status -n <ns> | -A        GitSources and their conditions, through the kubeconfig
  suspend|resume <gitsource> set a GitSource's spec.suspend (-n <namespace>)
  sync <gitsource>           ask for a sync now (-n <namespace>)
  check <dir>                evaluate manifests against the policies offline (CI exit codes)
  diff --config <file>       what a sync would change: verified, rendered Git against the cluster
  verify <repo> <ref> --trust <file>
                             check a commit's signature as the reconciler does
  version, --version         print driftgate's version
  help                       show this help

Run "driftgate <command> --help" for a command's options. The narrated demo runs from a source
checkout: npm run demo.`;

const SERVE_USAGE = `driftgate serve --config <file>

Runs the admission webhook. The config file is YAML; every key is optional (defaults in
parentheses); unknown keys are refused:
${usage(WebhookConfigSchema)}`;

async function serve(args: readonly string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const file = flag(args, '--config');
  let raw: unknown = {};
  if (file) {
    try {
      raw = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      console.error(
        `driftgate serve: cannot read config ${file}: ${(err as Error).message.split('\n')[0]}`,
      );
      return 2;
    }
  }
  const parsed = parseWebhookConfig(raw);
  // Found once on PATH; without it, policies do not build (the webhook says so, and refuses
  // writes while policies are configured and none is live).
  const cfg = { ...parsed, opaPath: optionalTool('serve', 'opaPath', parsed.opaPath) };
  // Loaded per command: the webhook process never loads the reconciler or client-node.
  const { startWebhook } = await import('../webhook/main.js');
  const wh = await startWebhook(cfg);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void wh.shutdown(cfg.shutdownDelaySeconds * 1000).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}

const RECONCILE_USAGE = `driftgate reconcile --config <file>

Runs the reconciler. The cluster comes from KUBECONFIG or the in-cluster ServiceAccount.
The config file is YAML (defaults in parentheses); unknown keys are refused:
${usage(ReconcilerConfigSchema)}`;

async function reconcile(args: readonly string[]): Promise<number> {
  const file = flag(args, '--config');
  if (args.includes('--help') || !file) {
    console.log(RECONCILE_USAGE);
    return file ? 0 : 2;
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(
      `driftgate reconcile: cannot read config ${file}: ${(err as Error).message.split('\n')[0]}`,
    );
    return 2;
  }
  const cfg = withTools(
    'reconcile',
    parseReconcilerConfig(raw, readConfigInputs(configFiles(raw))),
  );
  if (!cfg) return 2;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { startReconciler } = await import('../reconciler/main.js');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const r = await startReconciler(cfg, {
    kubeConfig: kc,
    // Lost the lease: stop at once (a restarted pod campaigns again) rather than risk two leaders.
    onLostLeadership: () => process.exit(1),
  });
  const stop = (): void => void r.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}

async function status(args: readonly string[]): Promise<number> {
  // GitSources through the kubeconfig; the reconciler's status API with --url (or by default).
  if (['-n', '--namespace', '-A', '--all-namespaces'].some((f) => args.includes(f)))
    return sourcesStatus(args);
  const url = flag(args, '--url') ?? process.env.DRIFTGATE_STATUS_URL ?? 'http://127.0.0.1:8080';
  // Status is authenticated: the reconciler's control token, or a Kubernetes token (RBAC decides
  // which sources it shows: those whose GitSource it may get).
  const tokenFile = flag(args, '--token-file');
  const token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : process.env.DRIFTGATE_TOKEN;
  let sources: {
    name: string;
    syncStatus: string;
    health: string;
    revision: string | null;
    lastError: string | null;
    drifted: { object: string; diff: string }[];
  }[];
  try {
    const r = await fetch(`${url}/status`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!r.ok) {
      const why = ((await r.json().catch(() => ({}))) as { error?: string }).error;
      console.error(
        `driftgate status: the reconciler at ${url} answered ${r.status}${why ? `: ${why}` : ''} (pass --token-file or set DRIFTGATE_TOKEN)`,
      );
      return 1;
    }
    sources = (await r.json()) as typeof sources;
  } catch (err) {
    console.error(
      `driftgate status: cannot reach the reconciler at ${url} (${(err as Error).message}); pass --url or set DRIFTGATE_STATUS_URL`,
    );
    return 1;
  }
  for (const s of sources) {
    console.log(
      `${s.name.padEnd(20)} ${s.syncStatus.padEnd(11)} ${s.health.padEnd(12)} ${(s.revision ?? '-').slice(0, 12)}${s.lastError ? `  error: ${s.lastError}` : ''}`,
    );
    for (const d of s.drifted) console.log(`    drift ${d.object}: ${d.diff}`);
  }
  return sources.every((s) => s.syncStatus === 'Synced' || s.syncStatus === 'Suspended') ? 0 : 3;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'reconcile':
      return reconcile(rest);
    case 'status':
      return status(rest);
    case 'suspend':
    case 'resume':
    case 'sync':
      return sourceAction(command, rest);
    case 'check':
      return (await import('./check.js')).check(rest);
    case 'diff':
      return (await import('./diff.js')).diff(rest);
    case 'verify':
      return (await import('./verify.js')).verify(rest);
    case 'version':
    case '--version':
      console.log(`driftgate ${packageVersion() ?? 'unknown'}`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      console.error(`driftgate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof ReconcilerConfigError) {
      console.error(`driftgate: ${err.message}\nFix the config file and start again.`);
      process.exit(2);
    }
    console.error(`driftgate: ${(err as Error).message}`);
    process.exit(1);
  },
);
