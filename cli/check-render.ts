import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { resolveTool } from '../core/tool-path.js';
import { isObject } from '../core/object.js';
import {
  detectRenderer,
  renderPlain,
  RenderError,
  renderWithTool,
} from '../reconciler/render/render.js';
import { type Rendered } from '../reconciler/model/objects.js';
import type { TreeFile } from '../reconciler/source/git-source.js';
import { str, type CliArgs } from './args.js';

/** The Kubernetes version a chart sees in `check` unless told (never Helm's own v1.20 default). */
export const CHECK_KUBE_VERSION = 'v1.35.0';

/** Files under `root` (dot entries and node_modules left out), keyed by their relative path. */
function readTree(root: string): Map<string, TreeFile> {
  const out = new Map<string, TreeFile>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir).sort()) {
      if (e.startsWith('.') && e !== '.helmignore') continue;
      if (e === 'node_modules') continue;
      const full = join(dir, e);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(root, full), { oid: '', content: readFileSync(full) });
    }
  };
  walk(root);
  return out;
}

/** Where a kustomization may reach: `--root`, else the Git work tree holding `dir`, else `dir`. */
export function checkRoot(dir: string, given?: string): string {
  if (given) return resolve(given);
  for (let d = resolve(dir); d !== dirname(d); d = dirname(d))
    if (existsSync(join(d, '.git'))) return d;
  return resolve(dir);
}

/**
 * `--values FILE`: read relative to the working directory, as helm reads it (a file of that name
 * in the chart folder is taken when there is none there, as check did before). A YAML mapping.
 */
function valuesFile(file: string, chart: string): Record<string, unknown> {
  const inChart = join(chart, file);
  const at = !existsSync(resolve(file)) && existsSync(inChart) ? inChart : resolve(file);
  let doc: unknown;
  try {
    doc = parse(readFileSync(at, 'utf8'), { maxAliasCount: 0 });
  } catch (err) {
    throw new RenderError(`--values ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new RenderError(`--values ${file}: must be a YAML mapping`);
  return doc;
}

/** The tool this folder needs, found once (on PATH, as a shell would). */
const tool = (setting: string, value: string): string => {
  try {
    return resolveTool(setting, value);
  } catch (err) {
    throw new RenderError((err as Error).message);
  }
};

/** Render a folder as the reconciler renders a source path. Throws RenderError. */
export async function renderFolder(dir: string, a: CliArgs): Promise<Rendered[]> {
  const here = readTree(dir);
  const kind = detectRenderer(here, '');
  if (kind === 'plain') return renderPlain(here);
  if (kind === 'kustomize') {
    // Overlays reach their bases elsewhere in the repository: the tree from the root.
    const root = checkRoot(dir, str(a, 'root'));
    const path = relative(root, resolve(dir)) || '.';
    if (path.startsWith('..'))
      throw new RenderError(`--root ${root} does not hold ${dir}: pass the repository root`);
    const tools = {
      kustomizePath: tool('--kustomize', str(a, 'kustomize') ?? 'kustomize'),
      helmPath: '',
    };
    return renderWithTool('kustomize', readTree(root), path, tools);
  }
  const tools = { kustomizePath: '', helmPath: tool('--helm', str(a, 'helm') ?? 'helm') };
  const values = str(a, 'values');
  return renderWithTool(kind, here, '', tools, {
    releaseName: str(a, 'release') ?? 'release',
    namespace: str(a, 'namespace') ?? 'default',
    ...(values ? { valuesFrom: [valuesFile(values, dir)] } : {}),
    capabilities: {
      kubeVersion: str(a, 'kube-version') ?? CHECK_KUBE_VERSION,
      apiVersions: (str(a, 'api-versions') ?? '').split(',').filter((v) => v !== ''),
    },
  });
}
