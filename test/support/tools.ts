import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Parse tools/versions.env (KEY=value lines, # comments, optional double quotes). */
export function readVersions(
  file = join(repoRoot, 'tools', 'versions.env'),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out[line.slice(0, eq)] = line.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

const toolVersionKey = {
  'kube-apiserver': ['kubernetes', 'KUBERNETES_VERSION'],
  'kube-controller-manager': ['kubernetes', 'KUBERNETES_VERSION'],
  'kube-scheduler': ['kubernetes', 'KUBERNETES_VERSION'],
  kubectl: ['kubernetes', 'KUBERNETES_VERSION'],
  kubelet: ['kubernetes', 'KUBERNETES_VERSION'],
  'kube-proxy': ['kubernetes', 'KUBERNETES_VERSION'],
  pause: ['kubernetes', 'KUBERNETES_VERSION'],
  coredns: ['coredns', 'COREDNS_VERSION'],
  node: ['node', 'NODE_VERSION'],
  etcd: ['etcd', 'ETCD_VERSION'],
  opa: ['opa', 'OPA_VERSION'],
  kustomize: ['kustomize', 'KUSTOMIZE_VERSION'],
  helm: ['helm', 'HELM_VERSION'],
  kwok: ['kwok', 'KWOK_VERSION'],
  gator: ['gator', 'GATOR_VERSION'],
  registry: ['registry', 'REGISTRY_VERSION'],
  cosign: ['cosign', 'COSIGN_VERSION'],
  gitea: ['gitea', 'GITEA_VERSION'],
  jaeger: ['jaeger', 'JAEGER_VERSION'],
} as const;
export type ToolName = keyof typeof toolVersionKey;

/** Where scripts/tools.sh caches tools. */
export function toolsDir(): string {
  return process.env.DRIFTGATE_TOOLS_DIR ?? join(homedir(), '.cache', 'driftgate', 'tools');
}

/**
 * Absolute path of a pinned tool binary. Throws with the command to run when the tool is not
 * installed (do not retry: run `npm run tools`).
 */
export function toolPath(name: ToolName): string {
  const [dir, key] = toolVersionKey[name];
  const version = readVersions()[key];
  if (!version) throw new Error(`tools/versions.env has no ${key}`);
  const path = join(toolsDir(), `${dir}-${version}`, 'bin', name);
  if (!existsSync(path)) {
    throw new Error(`${name} ${version} is not installed at ${path}: run \`npm run tools\``);
  }
  return path;
}
