import { posix } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { TreeFile } from '../source/git-source.js';

/** Bounds on what a commit may hold and render to; past them the commit is refused, not applied. */
export interface ContentLimits {
  /** One file. @default 4 MiB (an object in etcd is at most 1.5 MiB) */
  readonly maxFileBytes: number;
  /** All files a render reads. @default 64 MiB */
  readonly maxTreeBytes: number;
  /** Objects one render may produce. @default 10,000 */
  readonly maxDocuments: number;
  /** Bytes a renderer (kustomize, helm) may print. @default 32 MiB */
  readonly maxRenderedBytes: number;
  /** Wall time of one renderer run. @default 30 s */
  readonly renderTimeoutMs: number;
}

export const DEFAULT_CONTENT_LIMITS: ContentLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxTreeBytes: 64 * 1024 * 1024,
  maxDocuments: 10_000,
  maxRenderedBytes: 32 * 1024 * 1024,
  renderTimeoutMs: 30_000,
};

const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Why a tree is over the limits (the first reason), or undefined. */
export function treeOverLimits(
  files: ReadonlyMap<string, TreeFile>,
  limits: ContentLimits,
): string | undefined {
  let total = 0;
  for (const [path, f] of files) {
    if (f.content.length > limits.maxFileBytes)
      return `${path} is ${MiB(f.content.length)}, over the ${MiB(limits.maxFileBytes)} file limit`;
    total += f.content.length;
  }
  if (total > limits.maxTreeBytes)
    return `the files to render are ${MiB(total)}, over the ${MiB(limits.maxTreeBytes)} limit`;
  return undefined;
}

const YAML_FILE = /\.(ya?ml)$|(^|\/)Kustomization$/;
/** Aliases in one YAML file past which it is treated as an expansion bomb. */
const MAX_ALIASES = 100;

/**
 * The first YAML file holding more than 100 aliases (a "billion laughs" bomb expands them
 * exponentially in the renderers), or undefined. Files that do not parse are left to the renderer.
 */
export function aliasBomb(files: ReadonlyMap<string, TreeFile>): string | undefined {
  for (const [path, f] of files) {
    if (!YAML_FILE.test(path)) continue;
    let aliases = 0;
    for (const doc of parseAllDocuments(f.content.toString('utf8'))) {
      visit(doc, {
        Alias: () => {
          aliases++;
          return aliases > MAX_ALIASES ? visit.BREAK : undefined;
        },
      });
      if (aliases > MAX_ALIASES) return `${path} uses more than ${MAX_ALIASES} YAML aliases`;
    }
  }
  return undefined;
}

const KUSTOMIZATION = /(^|\/)(kustomization\.ya?ml|Kustomization)$/;
const URL_LIKE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;
/** go-getter style remotes without a scheme: github.com/org/repo//path?ref=v1 */
const HOST_LIKE = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}\//i;
/** Top-level kustomization fields whose strings kustomize loads (files, directories, URLs). */
const LOADED = new Set([
  'resources',
  'bases',
  'components',
  'crds',
  'configurations',
  'generators',
  'transformers',
  'validators',
  'openapi',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'replacements',
  'configMapGenerator',
  'secretGenerator',
  'helmCharts',
  'helmChartInflationGenerator',
  'helmGlobals',
]);
const MUST_BE_LOCAL = new Set(['resources', 'bases', 'components']);
/** Inline content inside loaded fields, never a location. */
const INLINE = new Set(['literals', 'patch', 'options', 'target', 'name', 'namespace', 'behavior']);

interface Found {
  readonly field: string;
  readonly value: string;
}

function loadedStrings(node: unknown, out: Found[], field: string): void {
  if (isAlias(node)) return;
  if (isScalar(node)) {
    if (typeof node.value === 'string') out.push({ field, value: node.value.trim() });
  } else if (isSeq(node)) {
    for (const item of node.items) loadedStrings(item, out, field);
  } else if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!INLINE.has(k)) loadedStrings(pair.value, out, field);
    }
  }
}

/**
 * What the kustomizations of `tree` would fetch from outside the commit: a URL or remote reference
 * in any field kustomize loads, and resources/bases/components that are not a file or directory
 * of the commit (kustomize would try them as remote Git). Empty when none.
 */
export function remoteReferences(tree: ReadonlyMap<string, TreeFile>): string[] {
  const dirs = new Set<string>();
  for (const p of tree.keys()) {
    for (let d = posix.dirname(p); d !== '.' && !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
  }
  const found: string[] = [];
  for (const [path, f] of tree) {
    if (!KUSTOMIZATION.test(path)) continue;
    const strings: Found[] = [];
    for (const doc of parseAllDocuments(f.content.toString('utf8'))) {
      if (!isMap(doc.contents)) continue;
      for (const pair of doc.contents.items) {
        const field = isScalar(pair.key) ? String(pair.key.value) : '';
        if (LOADED.has(field)) loadedStrings(pair.value, strings, field);
      }
    }
    for (const { field, value } of strings) {
      if (value.includes('\n')) continue; // an inline document
      const target = posix.normalize(posix.join(posix.dirname(path), value));
      const local = tree.has(target) || dirs.has(target);
      if (URL_LIKE.test(value) || (HOST_LIKE.test(value) && !local))
        found.push(`${path}: ${field} names ${value}`);
      else if (MUST_BE_LOCAL.has(field) && !local)
        found.push(`${path}: ${field} names ${value}, which is not in the commit`);
    }
  }
  return found;
}

/**
 * The environment a renderer runs in: no credentials or tokens of the reconciler, no PATH (so
 * kustomize cannot start git), proxies that lead nowhere (so nothing reaches the network), Helm's
 * homes inside the render directory, and a Go soft memory limit.
 */
export function rendererEnv(dir: string): NodeJS.ProcessEnv {
  const nowhere = 'http://127.0.0.1:9';
  return {
    PATH: '/nonexistent',
    HOME: dir,
    HTTP_PROXY: nowhere,
    HTTPS_PROXY: nowhere,
    ALL_PROXY: nowhere,
    http_proxy: nowhere,
    https_proxy: nowhere,
    NO_PROXY: '',
    GIT_ALLOW_PROTOCOL: 'none',
    GIT_TERMINAL_PROMPT: '0',
    HELM_CACHE_HOME: posix.join(dir, '.helm/cache'),
    HELM_CONFIG_HOME: posix.join(dir, '.helm/config'),
    HELM_DATA_HOME: posix.join(dir, '.helm/data'),
    KUBECONFIG: '/nonexistent',
    GOMEMLIMIT: '256MiB',
  };
}
