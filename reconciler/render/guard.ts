import { posix } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
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
/** Expanded alias references allowed in one YAML document (the yaml package's measure). */
const MAX_ALIASES = 100;

/** The refusal of a YAML file whose aliases expand too far (the renderers and plain YAML alike). */
export const bombMessage = (path: string): string =>
  `${path} expands YAML aliases past ${MAX_ALIASES} references (an expansion bomb)`;

/** Whether a yaml-package error is its alias-expansion guard. */
export const isAliasBomb = (err: unknown): boolean => /alias/i.test((err as Error)?.message ?? '');

/**
 * The first YAML file whose aliases expand past 100 references (a "billion laughs" bomb, which
 * the renderers would expand exponentially), or undefined. Files that do not parse are left to
 * the renderer, which reports them.
 */
export function aliasBomb(files: ReadonlyMap<string, TreeFile>): string | undefined {
  for (const [path, f] of files) {
    if (!YAML_FILE.test(path)) continue;
    for (const doc of parseAllDocuments(f.content.toString('utf8'))) {
      if (doc.errors.length > 0) break;
      try {
        doc.toJS({ maxAliasCount: MAX_ALIASES, mapAsMap: true });
      } catch (err) {
        if (isAliasBomb(err)) return bombMessage(path);
      }
    }
  }
  return undefined;
}

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

type YamlDoc = ReturnType<typeof parseAllDocuments>[number] & { errors: unknown[] };

/** A node with its aliases followed (kustomize's YAML reader expands them too). */
const resolved = (node: unknown, doc: YamlDoc): unknown =>
  isAlias(node) ? node.resolve(doc as Parameters<typeof node.resolve>[0]) : node;

/** A mapping key's text, through an alias. */
const keyText = (key: unknown, doc: YamlDoc): string => {
  const k = resolved(key, doc);
  return isScalar(k) ? String(k.value) : '';
};

function loadedStrings(
  node: unknown,
  out: Found[],
  field: string,
  doc: YamlDoc,
  seen = new Set<unknown>(),
): void {
  const n = resolved(node, doc);
  // A node reached twice (an alias of an anchor already walked, or a cycle) says nothing new.
  if (seen.has(n)) return;
  seen.add(n);
  if (isScalar(n)) {
    if (typeof n.value === 'string') out.push({ field, value: n.value.trim() });
  } else if (isSeq(n)) {
    for (const item of n.items) loadedStrings(item, out, field, doc, seen);
  } else if (isMap(n)) {
    for (const pair of n.items)
      if (!INLINE.has(keyText(pair.key, doc))) loadedStrings(pair.value, out, field, doc, seen);
  }
}

/** A mapping's fields through aliases and merge keys (`<<: *base`), as kustomize reads them. */
function topPairs(node: unknown, doc: YamlDoc, depth = 0): [string, unknown][] {
  const n = resolved(node, doc);
  if (!isMap(n) || depth > 10) return [];
  return n.items.flatMap((p): [string, unknown][] => {
    const k = keyText(p.key, doc);
    if (k !== '<<') return [[k, p.value]];
    const v = resolved(p.value, doc);
    return isSeq(v)
      ? v.items.flatMap((i) => topPairs(i, doc, depth + 1))
      : topPairs(v, doc, depth + 1);
  });
}

const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** What a kustomization reaches: the commit's files it needs, and what it would fetch. */
export interface KustomizeScope {
  /** The files under the kustomization directories it includes, and the files it names. */
  readonly files: ReadonlyMap<string, TreeFile>;
  /** URLs and remote references, and resources/bases/components missing from the commit. */
  readonly remote: readonly string[];
}

/**
 * Follow the kustomization at `root` through the ones it includes: what it would fetch from
 * outside the commit (a URL or remote reference in any field kustomize loads; a resource, base
 * or component that is not a file or directory of the commit, which kustomize would try as remote
 * Git), and the files it needs, so only those are checked and written out. Pure.
 */
export function kustomizeScope(
  tree: ReadonlyMap<string, TreeFile>,
  root: string,
  /** Kustomization files larger than this are not parsed here (the size check refuses them). */
  maxFileBytes = Infinity,
): KustomizeScope {
  const dirs = new Set<string>();
  for (const p of tree.keys()) {
    for (let d = posix.dirname(p); d !== '.' && !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
  }
  const found: string[] = [];
  const named = new Set<string>();
  const seen = new Set<string>();
  const queue = [posix.normalize(root || '.')];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const path = KUSTOMIZATION_NAMES.map((n) => (dir === '.' ? n : `${dir}/${n}`)).find((p) =>
      tree.has(p),
    );
    const f = path ? tree.get(path) : undefined;
    if (!path || !f || f.content.length > maxFileBytes) continue;
    const strings: Found[] = [];
    for (const doc of parseAllDocuments(f.content.toString('utf8'))) {
      for (const [field, value] of topPairs(doc.contents, doc as YamlDoc))
        if (LOADED.has(field)) loadedStrings(value, strings, field, doc as YamlDoc);
    }
    for (const { field, value } of strings) {
      if (value.includes('\n')) continue; // an inline document
      const target = posix.normalize(posix.join(posix.dirname(path), value));
      const local = tree.has(target) || dirs.has(target);
      if (URL_LIKE.test(value) || (HOST_LIKE.test(value) && !local))
        found.push(`${path}: ${field} names ${value}`);
      else if (MUST_BE_LOCAL.has(field) && !local)
        found.push(`${path}: ${field} names ${value}, which is not in the commit`);
      else if (dirs.has(target)) queue.push(target);
      else if (tree.has(target)) named.add(target);
    }
  }
  const files = new Map<string, TreeFile>();
  for (const [p, f] of tree) {
    if (named.has(p) || [...seen].some((d) => d === '.' || p.startsWith(`${d}/`))) files.set(p, f);
  }
  return { files, remote: found };
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
