import { repoPath } from '../../core/paths.js';
import { groupOf, refOf, refText } from '../model/objects.js';
import {
  detectRenderer,
  renderPlain,
  renderWithTool,
  RenderError,
  type ClusterCapabilities,
} from '../render/render.js';
import { type Rendered } from '../model/objects.js';
import { apiErrorMessage } from '../kube/errors.js';
import { splitHooks, type HookObject } from '../model/hook-annotations.js';
import { placementProblem, type RefusedObject } from '../model/scope.js';
import type { SyncContext } from './context.js';
import { ReconcileError } from './errors.js';
import { ReconcileCode } from '../model/reconcile-codes.js';

/** A verified commit, rendered: what the source declares, and what it may not write. */
export interface RenderResult {
  /** The objects the source manages (hooks apart). */
  readonly rendered: readonly Rendered[];
  /** Sync hooks: run in their phases, never managed (Skip and test hooks are dropped). */
  readonly hooks: readonly HookObject[];
  /** Declared objects outside what this source may write (tenancy). */
  readonly refused: readonly RefusedObject[];
}

/**
 * Render the source path of a commit: plain YAML natively, Kustomize and Helm through their
 * binaries; then place each object. Throws RECONCILE_RENDER_FAILED (stalled until a new commit)
 * or RECONCILE_KIND_NOT_SERVED (waiting: a CRD may arrive).
 */
export async function renderCommit(ctx: SyncContext, head: string): Promise<RenderResult> {
  const { git, cfg } = ctx;
  const path = repoPath(cfg.path);
  let rendered: Rendered[];
  try {
    const files = await git.readTree(head, path);
    const kind = detectRenderer(files, path);
    const parsed = { prev: ctx.memo.parsed, next: new Map<string, string>() };
    rendered =
      kind === 'plain'
        ? renderPlain(files, ctx.d.tools.limits, parsed)
        : await renderWithTool(
            kind,
            kind === 'kustomize' ? await git.readTree(head, '') : files,
            path,
            ctx.d.tools,
            {
              releaseName: cfg.helm?.releaseName ?? cfg.name,
              namespace: cfg.helm?.namespace ?? cfg.destinationNamespace,
              valuesFiles: cfg.helm?.valuesFiles ?? [],
              ...(cfg.helm?.valuesFrom ? { valuesFrom: cfg.helm.valuesFrom } : {}),
              ...(cfg.helm?.values ? { values: cfg.helm.values } : {}),
              ...(cfg.helm?.skipCRDs ? { skipCRDs: true } : {}),
              ...(kind === 'helm' ? { capabilities: await capabilitiesOf(ctx) } : {}),
            },
          );
    if (kind === 'plain') ctx.memo.parsed = parsed.next;
  } catch (err) {
    if (err instanceof RenderError)
      throw new ReconcileError(ReconcileCode.RECONCILE_RENDER_FAILED, err.message, { cause: err });
    throw err;
  }
  const placed = await place(ctx, rendered);
  const split = splitHooks(placed.rendered);
  return {
    rendered: split.managed,
    hooks: split.hooks,
    refused: [...placed.refused, ...split.refused],
  };
}

/** The live cluster's capabilities for Helm; unreachable: transient (retry with backoff). */
async function capabilitiesOf(ctx: SyncContext): Promise<ClusterCapabilities> {
  try {
    return await ctx.d.cluster.capabilities();
  } catch (err) {
    throw new ReconcileError(
      ReconcileCode.RECONCILE_API_UNAVAILABLE,
      `reading the cluster's version for helm: ${apiErrorMessage(err)}`,
      { cause: err },
    );
  }
}

/**
 * Fill in namespaces and resource names, and keep apart what this source may not write: a
 * source is a tenant of its destination namespace unless the platform allowed it more.
 */
async function place(
  ctx: SyncContext,
  rendered: readonly Rendered[],
): Promise<{ rendered: Rendered[]; refused: RefusedObject[] }> {
  const crdScope = new Map<string, { namespaced: boolean; resource: string }>();
  for (const r of rendered) {
    if (r.object.kind !== 'CustomResourceDefinition') continue;
    const spec = r.object.spec as {
      group?: string;
      names?: { kind?: string; plural?: string };
      scope?: string;
    };
    crdScope.set(`${spec.group}/${spec.names?.kind}`, {
      namespaced: spec.scope === 'Namespaced',
      resource: spec.names?.plural ?? '',
    });
  }
  const out: Rendered[] = [];
  const refused: RefusedObject[] = [];
  for (const r of rendered) {
    const key = `${groupOf(r.object.apiVersion)}/${r.object.kind}`;
    const { namespaced, resource } =
      crdScope.get(key) ??
      (await ctx.d.cluster.scopeOf(r.object.apiVersion, r.object.kind).catch((e: unknown) => {
        throw new ReconcileError(
          ReconcileCode.RECONCILE_KIND_NOT_SERVED,
          `${r.path}: ${(e as Error).message}`,
          { cause: e },
        );
      }));
    const metadata = { ...r.object.metadata };
    if (namespaced && !metadata.namespace) metadata.namespace = ctx.cfg.destinationNamespace;
    if (!namespaced) delete metadata.namespace;
    const object = { ...r.object, metadata };
    const outside = placementProblem(object, namespaced, ctx.cfg);
    if (outside) refused.push({ object: refText(refOf(object)), path: r.path, reason: outside });
    else out.push({ object, path: r.path, resource });
  }
  return { rendered: out, refused };
}
