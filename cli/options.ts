// Every driftgate command and its flags, as data: the parser (cli/args.ts) and the shell
// completion scripts (cli/completion.ts) are both made from this one table. Pure.

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The only values a string flag takes (completion offers them; anything else is refused). */
  readonly values?: readonly string[];
  /** Completion offers file names (f) or directory names (d) for this flag's value. */
  readonly complete?: 'file' | 'dir';
  readonly describe: string;
}

export interface CommandSpec {
  readonly describe: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** What the positionals are, in order (empty: the command takes none). */
  readonly positionals: readonly string[];
  /** Completion offers these for the first positional. */
  readonly positionalValues?: readonly string[];
}

const help: OptionSpec = { type: 'boolean', short: 'h', describe: 'show this command’s help' };
const output: OptionSpec = {
  type: 'string',
  short: 'o',
  values: ['text', 'json', 'yaml'],
  describe: 'output format',
};
const kube: Readonly<Record<string, OptionSpec>> = {
  kubeconfig: { type: 'string', complete: 'file', describe: 'kubeconfig file (else KUBECONFIG)' },
  context: { type: 'string', describe: 'kubeconfig context to use (else the current one)' },
};
const namespace: OptionSpec = { type: 'string', short: 'n', describe: 'namespace' };
const config: OptionSpec = { type: 'string', complete: 'file', describe: 'config file (YAML)' };
const sourceAction = (describe: string): CommandSpec => ({
  describe,
  options: { help, namespace, ...kube },
  positionals: ['gitsource'],
});

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  serve: { describe: 'run the admission webhook', options: { help, config }, positionals: [] },
  reconcile: { describe: 'run the reconciler', options: { help, config }, positionals: [] },
  status: {
    describe: 'sources and their sync status',
    options: {
      help,
      output,
      url: { type: 'string', describe: 'the reconciler’s status API (else DRIFTGATE_STATUS_URL)' },
      'token-file': { type: 'string', complete: 'file', describe: 'bearer token file' },
      namespace: { ...namespace, describe: 'GitSources of this namespace (through kubeconfig)' },
      'all-namespaces': { type: 'boolean', short: 'A', describe: 'GitSources of every namespace' },
      ...kube,
    },
    positionals: [],
  },
  suspend: sourceAction('suspend a GitSource'),
  resume: sourceAction('resume a GitSource'),
  sync: sourceAction('ask for a sync of a GitSource now'),
  check: {
    describe: 'evaluate manifests against the policies offline',
    options: {
      help,
      output,
      policies: { type: 'string', complete: 'dir', describe: 'policy directory' },
      opa: { type: 'string', complete: 'file', describe: 'opa binary (else on PATH)' },
      kustomize: { type: 'string', complete: 'file', describe: 'kustomize binary' },
      helm: { type: 'string', complete: 'file', describe: 'helm binary' },
      release: { type: 'string', describe: 'Helm release name' },
      namespace: { type: 'string', short: 'n', describe: 'Helm release namespace' },
      values: { type: 'string', complete: 'file', describe: 'Helm values file' },
      root: { type: 'string', complete: 'dir', describe: 'repository root for kustomize bases' },
      'kube-version': { type: 'string', describe: 'Kubernetes version a chart sees' },
      'api-versions': { type: 'string', describe: 'API versions a chart sees (comma-separated)' },
      'no-cache': { type: 'boolean', describe: 'build the policies afresh' },
      suites: { type: 'boolean', describe: 'run gator-style suites' },
    },
    positionals: ['dir'],
  },
  diff: {
    describe: 'what a sync would change',
    options: {
      help,
      output,
      config,
      source: { type: 'string', describe: 'only the source of this name' },
      gitsource: { type: 'string', describe: 'a GitSource (through kubeconfig)' },
      namespace: { ...namespace, describe: 'the GitSource’s namespace' },
      local: { type: 'string', complete: 'dir', describe: 'a working copy to preview' },
      policies: { type: 'string', complete: 'dir', describe: 'the gate’s policy directory' },
      gate: { type: 'string', values: ['enforce', 'warn', 'off'], describe: 'pre-apply gate mode' },
      ...kube,
    },
    positionals: [],
  },
  verify: {
    describe: 'check a commit’s signature as the reconciler does',
    options: {
      help,
      output,
      trust: { type: 'string', complete: 'file', describe: 'trusted signers (YAML)' },
    },
    positionals: ['repoURL', 'ref'],
  },
  completion: {
    describe: 'print a shell completion script',
    options: { help },
    positionals: ['shell'],
    positionalValues: ['bash', 'zsh', 'fish'],
  },
  version: { describe: 'print driftgate’s version', options: { help }, positionals: [] },
  help: { describe: 'show help', options: {}, positionals: [] },
};
