import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { exec } from '../../core/exec.js';
import type { K8sObject, Rendered } from '../model/objects.js';
import { isObject } from '../../core/object.js';
import type { TreeFile } from '../source/git-source.js';
import {
  aliasBomb,
  bombMessage,
  isAliasBomb,
  DEFAULT_CONTENT_LIMITS,
  kustomizeScope,
  rendererEnv,
  treeOverLimits,
  type ContentLimits,
} from './guard.js';
import { repoPath } from '../../core/paths.js';

/** A commit whose manifests cannot be rendered: nothing of it is applied. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

export const RendererKind = { plain: 'plain', kustomize: 'kustomize', helm: 'helm' } as const;
export type RendererKind = (typeof RendererKind)[keyof typeof RendererKind];

export interface RenderTools {
  readonly kustomizePath: string;
  readonly helmPath: string;
  /** @default DEFAULT_CONTENT_LIMITS */
  readonly limits?: ContentLimits;
  /**
   * util-linux prlimit, to give each renderer a hard address-space limit (RENDER_ADDRESS_SPACE);
   * absent: only Go's soft limit (GOMEMLIMIT) and the pod's memory limit bound it.
   */
  readonly prlimitPath?: string;
}

/** Address space a renderer may map: Go binaries need ~1 GiB of it to start at all. */
export const RENDER_ADDRESS_SPACE = 1536 * 1024 * 1024;

/**
 * Refuse a tree over the limits before anything parses it; for a renderer's tree, also YAML
 * whose aliases expand too far (plain YAML is guarded as it is parsed). Throws RenderError.
 */
export function checkTree(
  files: ReadonlyMap<string, TreeFile>,
  limits: ContentLimits,
  forRenderer = true,
): void {
  const why = treeOverLimits(files, limits) ?? (forRenderer ? aliasBomb(files) : undefined);
  if (why) throw new RenderError(`refused: ${why}`);
}

function checkCount(rendered: Rendered[], limits: ContentLimits): Rendered[] {
  if (rendered.length > limits.maxDocuments)
    throw new RenderError(
      `refused: the commit renders ${rendered.length} objects, over the ${limits.maxDocuments} limit`,
    );
  return rendered;
}

export interface HelmOptions {
  readonly releaseName: string;
  readonly namespace: string;
  readonly valuesFiles?: readonly string[];
  /** Values read from ConfigMaps and Secrets, in order, over the values files. */
  readonly valuesFrom?: readonly Readonly<Record<string, unknown>>[];
  /** Inline values from the source's config, applied over everything else. */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Leave out the chart's crds/ folder. */
  readonly skipCRDs?: boolean;
  /** The cluster's version and API group/versions, for `.Capabilities` (as Argo CD and Flux pass them). */
  readonly capabilities?: ClusterCapabilities;
}

export interface ClusterCapabilities {
  /** e.g. v1.35.4 */
  readonly kubeVersion: string;
  /** e.g. v1, apps/v1, monitoring.coreos.com/v1 */
  readonly apiVersions: readonly string[];
}

/**
 * `helm template` arguments: the chart's CRDs included (applied first by apply order), its
 * test hooks left out (never applied), and the live cluster's capabilities. Pure.
 */
export function helmArgs(
  chartDir: string,
  valuesPaths: readonly string[],
  h: HelmOptions,
): string[] {
  const c = h.capabilities;
  return [
    'template',
    h.releaseName,
    chartDir,
    '--namespace',
    h.namespace,
    ...(h.skipCRDs ? ['--skip-crds'] : ['--include-crds']),
    '--skip-tests',
    ...(c ? ['--kube-version', c.kubeVersion] : []),
    ...(c && c.apiVersions.length > 0 ? ['--api-versions', c.apiVersions.join(',')] : []),
    ...valuesPaths.flatMap((v) => ['-f', v]),
  ];
}

const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const MANIFEST = /\.(ya?ml|json)$/i;

/** Which renderer the source path needs: a kustomization, a Chart.yaml, or plain manifests. */
export function detectRenderer(files: ReadonlyMap<string, TreeFile>, path: string): RendererKind {
  const at = (name: string): boolean =>
    files.has(posix.join(repoPath(path), name).replace(/^\.\//, ''));
  if (KUSTOMIZATION.some(at)) return RendererKind.kustomize;
  if (at('Chart.yaml')) return RendererKind.helm;
  return RendererKind.plain;
}

/** Parse multi-document YAML (or JSON) into objects; `List` kinds are flattened. */
export function parseManifests(text: string, path: string): Rendered[] {
  const out: Rendered[] = [];
  for (const doc of parseAllDocuments(text)) {
    // helm template heads each document with `# Source: <chart>/<file>`: errors name that file.
    const head =
      doc.commentBefore ?? (doc.contents as { commentBefore?: string } | null)?.commentBefore;
    // A chart names its own files: bounded before it reaches an error (and status).
    const source = /^ ?Source: (\S{1,256})/.exec(head ?? '')?.[1];
    const where = source ? `${path ? `${path}: ` : ''}${source}` : path;
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new RenderError(
        `${where}:${e?.linePos?.[0]?.line ?? '?'}: ${e?.message.split('\n')[0]}`,
      );
    }
    let value: unknown;
    try {
      // The yaml package refuses aliases that expand past 100 references.
      value = doc.toJS();
    } catch (err) {
      if (isAliasBomb(err)) throw new RenderError(`refused: ${bombMessage(path)}`);
      throw err;
    }
    if (value === null || value === undefined) continue;
    const items =
      isObject(value) && String(value.kind).endsWith('List') && Array.isArray(value.items)
        ? value.items
        : [value];
    for (const item of items) {
      if (
        !isObject(item) ||
        typeof item.apiVersion !== 'string' ||
        typeof item.kind !== 'string' ||
        !isObject(item.metadata) ||
        (typeof item.metadata.name !== 'string' && typeof item.metadata.generateName !== 'string')
      ) {
        throw new RenderError(`${where}: a document lacks apiVersion, kind or metadata.name`);
      }
      out.push({ object: item as unknown as K8sObject, path });
    }
  }
  return out;
}

/** Plain manifests: every .yaml/.yml/.json under the source path, recursively, in path order. */
export function renderPlain(
  files: ReadonlyMap<string, TreeFile>,
  limits: ContentLimits = DEFAULT_CONTENT_LIMITS,
  parsed?: ParseCache,
): Rendered[] {
  checkTree(files, limits, false);
  const parse = (p: string): Rendered[] => {
    const f = files.get(p) as TreeFile;
    if (!parsed) return parseManifests(f.content.toString('utf8'), p);
    // By the content itself: a caller's oid may be a placeholder (local files).
    const key = `${createHash('sha1').update(f.content).digest('hex')}\0${p}`;
    // Kept as JSON, handed on parsed: every object a copy, so what the stages do with one never
    // reaches the cache (JSON.parse is several times cheaper than structuredClone, and JSON is
    // what the apiserver is sent anyway).
    const json =
      parsed.prev.get(key) ?? JSON.stringify(parseManifests(f.content.toString('utf8'), p));
    parsed.next.set(key, json);
    return JSON.parse(json) as Rendered[];
  };
  return checkCount(
    [...files.keys()]
      .filter((p) => MANIFEST.test(p))
      .sort()
      .flatMap(parse),
    limits,
  );
}

/**
 * A file's parsed manifests by its content's hash, from one render to the next: a commit
 * re-parses only the files it changed. `next` holds only the files of this render (bounded by
 * the tree).
 */
export interface ParseCache {
  readonly prev: ReadonlyMap<string, string>;
  readonly next: Map<string, string>;
}

function writeTree(files: ReadonlyMap<string, TreeFile>): string {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-render-'));
  for (const [p, f] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), f.content);
  }
  return dir;
}

async function runTool(
  name: string,
  tool: { cmd: string; prlimitPath?: string | undefined },
  args: readonly string[],
  cwd: string,
  limits: ContentLimits,
  path: string,
): Promise<Rendered[]> {
  const [cmd, argv] = tool.prlimitPath
    ? [tool.prlimitPath, [`--as=${RENDER_ADDRESS_SPACE}`, '--', tool.cmd, ...args]]
    : [tool.cmd, args];
  const r = await exec(cmd, argv, {
    cwd,
    env: rendererEnv(cwd),
    timeoutMs: limits.renderTimeoutMs,
    maxOutputBytes: limits.maxRenderedBytes,
  });
  if (r.killed === 'timeout')
    throw new RenderError(
      `${name} failed for ${path}: stopped after the ${limits.renderTimeoutMs / 1000} s time limit`,
    );
  if (r.killed === 'output')
    throw new RenderError(
      `${name} failed for ${path}: output over the ${limits.maxRenderedBytes} byte limit`,
    );
  if (r.code !== 0) {
    const missing = /missing in charts\/ directory: ([^\n]+)/.exec(r.stderr)?.[1];
    if (missing)
      throw new RenderError(
        `${name} failed for ${path}: chart dependencies missing from charts/: ${missing.trim()}. Nothing is fetched at render time: run "helm dependency build" and commit the charts/ folder (many charts' own .gitignore lists charts/*, which makes git add skip it silently: use git add -f)`,
      );
    const why = r.stderr.trim().split(cwd).join('.').slice(0, 2000);
    throw new RenderError(`${name} failed for ${path}: ${why || `exit ${r.code}`}`);
  }
  return checkCount(parseManifests(r.stdout, path), limits);
}

/**
 * Render with the real kustomize or helm over the files written to a temp directory (the whole
 * tree is given for Kustomize, whose overlays reach outside the source path). The tool's stderr
 * is in the RenderError.
 */
export async function renderWithTool(
  kind: 'kustomize' | 'helm',
  tree: ReadonlyMap<string, TreeFile>,
  path: string,
  tools: RenderTools,
  helm?: HelmOptions,
): Promise<Rendered[]> {
  const limits = tools.limits ?? DEFAULT_CONTENT_LIMITS;
  let files = tree;
  if (kind === 'kustomize') {
    // The signature covers the commit only: nothing may be fetched at render time.
    const scope = kustomizeScope(tree, path, limits.maxFileBytes);
    const remote = scope.remote;
    files = scope.files;
    if (remote.length > 0)
      throw new RenderError(
        `refused: the kustomization names what is not in the signed commit (nothing is fetched at render time; vendor it into the repository): ${remote.slice(0, 3).join('; ')}`,
      );
  }
  checkTree(files, limits);
  const dir = writeTree(files);
  try {
    if (kind === 'kustomize')
      return await runTool(
        'kustomize',
        { cmd: tools.kustomizePath, prlimitPath: tools.prlimitPath },
        ['build', join(dir, path)],
        dir,
        limits,
        path,
      );
    const h = helm ?? { releaseName: 'release', namespace: 'default' };
    const values = (h.valuesFiles ?? []).map((v) => join(dir, path, v));
    // Outside the chart folder: not part of the chart, and no chart file can shadow them.
    const extra = [...(h.valuesFrom ?? []), ...(h.values ? [h.values] : [])];
    extra.forEach((v, i) => {
      writeFileSync(join(dir, `.driftgate-values-${i}.json`), JSON.stringify(v));
      values.push(join(dir, `.driftgate-values-${i}.json`));
    });
    return await runTool(
      'helm',
      { cmd: tools.helmPath, prlimitPath: tools.prlimitPath },
      helmArgs(join(dir, path), values, h),
      dir,
      limits,
      path,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
