#!/usr/bin/env node
// The driftgate command: the one composition root that reads argv and the environment.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, parseWebhookConfig } from '../webhook/config.js';
import { startWebhook } from '../webhook/main.js';

const USAGE = `driftgate <command> [options]

Commands:
  serve --config <file>   run the admission webhook (HTTPS) and its metrics endpoint
  help                    show this help

Run "driftgate <command> --help" for a command's options.`;

const SERVE_USAGE = `driftgate serve --config <file>

Runs the admission webhook. The config file is YAML; every key is optional:
  host, port (9443), metricsHost, metricsPort (9090), namespace (driftgate-system),
  policyDir (/policies), watchPolicies (true), opaPath (opa), logLevel (info), bodyLimitBytes,
  tls: { certFile, keyFile, caFile } or { generateDir, dnsNames, ipAddresses },
  exemptions: { namespaces, users, groups, serviceAccounts }, enforcementOverrides: { <policy id>: enforce|warn|dryrun }`;

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

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
  const cfg = parseWebhookConfig(raw);
  const wh = await startWebhook(cfg);
  const stop = (): void => void wh.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
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
    if (err instanceof ConfigError) {
      console.error(`driftgate: ${err.message}\nFix the config file and start again.`);
      process.exit(2);
    }
    console.error(`driftgate: ${(err as Error).message}`);
    process.exit(1);
  },
);
