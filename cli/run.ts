// The driftgate command line, importable: `cli(argv)` parses, answers --help offline, and runs
// the command. cli/main.ts is the executable that calls it.
import { optionalTool, withTools } from './tools.js';
import { readYaml } from './output.js';
import { closest, parseCommand, str, type CliArgs } from './args.js';
import { COMMANDS } from './options.js';
import { packageVersion } from './version.js';
import { SOURCES_USAGE, sourceAction } from './sources.js';
import { configFiles, readConfigInputs } from '../reconciler/config/inputs.js';
import { usage } from '../core/schema/help.js';
import { parseReconcilerConfig } from '../reconciler/config/parse.js';
import { ReconcilerConfigSchema } from '../reconciler/config/schema.js';
import { parseWebhookConfig } from '../webhook/config.js';
import { WebhookConfigSchema } from '../webhook/config-schema.js';

const USAGE = `driftgate <command> [options]

Commands:
  serve --config <file>      run the admission webhook (HTTPS) and its metrics endpoint
  reconcile --config <file>  run the reconciler (Git → cluster), its status API and metrics
  status [--url <url>]       every source's status from a running reconciler
  status -n <ns> | -A        GitSources and their conditions, through the kubeconfig
  suspend|resume <gitsource> set a GitSource's spec.suspend (-n <namespace>)
  sync <gitsource>           ask for a sync now (-n <namespace>)
  check <dir>                evaluate manifests against the policies offline (CI exit codes)
  diff --config <file>       what a sync would change: verified, rendered Git against the cluster
  verify <repo> <ref> --trust <file>
                             check a commit's signature as the reconciler does
  completion bash|zsh|fish   print a shell completion script
  version, --version         print driftgate's version
  help [<command>]           show this help, or a command's

Run "driftgate <command> --help" for a command's flags (every --help works offline). status,
diff, verify and check print JSON or YAML with -o json|yaml; commands that use a kubeconfig take
--kubeconfig and --context. The narrated demo runs from a source checkout: npm run demo.`;

const SERVE_USAGE = `driftgate serve --config <file>

Runs the admission webhook. The config file is YAML; every key is optional (defaults in
parentheses); unknown keys are refused:
${usage(WebhookConfigSchema)}`;

async function serve(a: CliArgs): Promise<number> {
  const file = str(a, 'config');
  const read = file ? readYaml('serve', file, 'config ') : { value: {} };
  if (!read) return 2;
  const parsed = parseWebhookConfig(read.value);
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

async function reconcile(a: CliArgs): Promise<number> {
  const file = str(a, 'config');
  if (!file) {
    console.error(`driftgate reconcile: --config <file> is required\n\n${RECONCILE_USAGE}`);
    return 2;
  }
  const read = readYaml('reconcile', file, 'config ');
  if (!read) return 2;
  const raw = read.value;
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

const USAGES: Record<string, () => Promise<string>> = {
  serve: async () => SERVE_USAGE,
  reconcile: async () => RECONCILE_USAGE,
  status: async () => (await import('./status.js')).STATUS_USAGE,
  suspend: async () => SOURCES_USAGE,
  resume: async () => SOURCES_USAGE,
  sync: async () => SOURCES_USAGE,
  check: async () => (await import('./check.js')).CHECK_USAGE,
  diff: async () => (await import('./diff.js')).DIFF_USAGE,
  verify: async () => (await import('./verify.js')).VERIFY_USAGE,
  completion: async () => (await import('./completion.js')).COMPLETION_USAGE,
  version: async () => 'driftgate version\n\nPrints the version of driftgate.',
  help: async () => USAGE,
};

async function run(command: string, a: CliArgs): Promise<number> {
  switch (command) {
    case 'serve':
      return serve(a);
    case 'reconcile':
      return reconcile(a);
    case 'status':
      return (await import('./status.js')).status(a);
    case 'suspend':
    case 'resume':
    case 'sync':
      return sourceAction(command, a);
    case 'check':
      return (await import('./check.js')).check(a);
    case 'diff':
      return (await import('./diff.js')).diff(a);
    case 'verify':
      return (await import('./verify.js')).verify(a);
    case 'completion':
      return (await import('./completion.js')).completion(a);
    case 'version':
      console.log(`driftgate ${packageVersion() ?? 'unknown'}`);
      return 0;
    default:
      console.log(USAGE);
      return 0;
  }
}

/** Every --help is answered here, before a command reads a file or the network. */
export async function cli(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (first === '--version') return run('version', { values: {}, positionals: [] });
  if (!COMMANDS[first]) {
    const near = closest(first, Object.keys(COMMANDS));
    console.error(
      `driftgate: unknown command "${first}"${near ? ` (did you mean "${near}"?)` : ''}\n\n${USAGE}`,
    );
    return 2;
  }
  if (first === 'help') {
    const about = rest[0] !== undefined ? USAGES[rest[0]] : undefined;
    console.log(about ? await about() : USAGE);
    return 0;
  }
  // --help wins over whatever else is on the line (a misspelt flag beside it included).
  const end = rest.indexOf('--');
  if ((end < 0 ? rest : rest.slice(0, end)).some((w) => w === '--help' || w === '-h')) {
    console.log(await (USAGES[first] as () => Promise<string>)());
    return 0;
  }
  const a = parseCommand(first, rest);
  if (typeof a === 'string') {
    console.error(`driftgate ${first}: ${a}\nRun "driftgate ${first} --help" for its flags.`);
    return 2;
  }
  return run(first, a);
}
