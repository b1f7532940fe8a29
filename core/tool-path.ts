import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Where each tool a user may name comes from, for the one-line error when it is missing. */
const INSTALL: Record<string, string> = {
  opa: 'https://www.openpolicyagent.org/docs/latest/#running-opa',
  helm: 'https://helm.sh/docs/intro/install/',
  kustomize: 'https://kubectl.docs.kubernetes.io/installation/kustomize/',
};

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The absolute path of a tool as configured: a path (absolute, or relative to the working
 * directory) is kept as it is; a bare name is looked up on PATH once, as a shell would. Tools
 * then run by that path with no PATH of their own. Throws a one-line error naming the setting,
 * the tool and how to install it when there is none.
 */
export function resolveTool(
  setting: string,
  value: string,
  path = process.env.PATH ?? '',
  cwd = process.cwd(),
): string {
  if (value.includes('/')) {
    const p = isAbsolute(value) ? value : resolve(cwd, value);
    if (executable(p)) return p;
    throw new Error(`${setting}: ${p} is not an executable file`);
  }
  for (const dir of path.split(delimiter).filter((d) => d !== '')) {
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir), value);
    if (executable(p)) return p;
  }
  const how = INSTALL[value] ? ` (${INSTALL[value]})` : '';
  throw new Error(
    `${setting}: "${value}" was not found on PATH; install it${how} or set ${setting} to its absolute path`,
  );
}
