// What a command prints for scripts: -o json or -o yaml, the same data either way.
import type { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { str, type CliArgs } from './args.js';

export type Format = 'text' | 'json' | 'yaml';

/** The --output the command line asked for (text unless -o json|yaml). */
export const formatOf = (a: CliArgs): Format => (str(a, 'output') ?? 'text') as Format;

/** `data` as JSON or YAML on stdout. */
export function emit(format: Exclude<Format, 'text'>, data: unknown): void {
  if (format === 'json') console.log(JSON.stringify(data, null, 2));
  else process.stdout.write(stringify(data, { lineWidth: 0 }));
}

/**
 * The user's kubeconfig (--kubeconfig, else KUBECONFIG or ~/.kube/config) at --context (else its
 * current context); a message when the context is not in it.
 */
export async function kubeOf(a: CliArgs): Promise<KubeConfig | string> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const file = str(a, 'kubeconfig');
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    return `cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(err as Error).message.split('\n')[0]}`;
  }
  const context = str(a, 'context');
  if (context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(context))
      return `no context "${context}" in the kubeconfig (it has: ${names.join(', ') || 'none'})`;
    kc.setCurrentContext(context);
  }
  return kc;
}

/** A YAML file the command reads (a config, a trust file); its text, or why not, in one line. */
export function readYaml(
  command: string,
  file: string,
  what: string,
): { value: unknown } | undefined {
  try {
    return { value: parse(readFileSync(file, 'utf8')) as unknown };
  } catch (err) {
    console.error(
      `driftgate ${command}: cannot read ${what}${file}: ${(err as Error).message.split('\n')[0]}`,
    );
    return undefined;
  }
}
