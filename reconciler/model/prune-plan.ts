import { refKey, type ObjectRef } from './objects.js';

export const PRUNE_OPT_OUT = 'driftgate.io/prune';

export interface PrunePlan {
  /** Safe to delete, in this order (last applied first). */
  readonly delete: readonly ObjectRef[];
  /** Gone from Git but kept, with why. */
  readonly kept: readonly { readonly ref: ObjectRef; readonly reason: string }[];
  /** Set when the whole prune was refused (nothing deleted). */
  readonly refused?: string;
}

export interface PruneInput {
  /** What this source applied before (its inventory). */
  readonly inventory: readonly ObjectRef[];
  /** What the verified commit declares now. */
  readonly desired: readonly ObjectRef[];
  /** Live annotations of the candidates (absent: already gone). */
  readonly liveAnnotations: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;
  /** Refuse when more than this fraction of the inventory would go. @default 0.5 */
  readonly maxFraction?: number;
  /** Delete CustomResourceDefinitions gone from Git too. @default false */
  readonly pruneCRDs?: boolean;
}

/** Why a CRD gone from Git stays (the source did not opt in with pruneCRDs). */
export const CRD_KEPT =
  'a CustomResourceDefinition is not pruned: deleting it deletes every object of its kind in the cluster (set pruneCRDs to delete it)';
const isCrd = (r: ObjectRef): boolean =>
  r.kind === 'CustomResourceDefinition' && r.apiVersion.startsWith('apiextensions.k8s.io/');

/**
 * Plan a prune. Pure. Only inventory objects gone from Git are candidates; an empty render
 * prunes nothing; a shrink past `maxFraction` prunes nothing; objects annotated
 * `driftgate.io/prune: disabled` stay. Deletes run in reverse apply order (namespaces last).
 */
export function planPrune({
  inventory,
  desired,
  liveAnnotations,
  maxFraction = 0.5,
  pruneCRDs = false,
}: PruneInput): PrunePlan {
  const want = new Set(desired.map(refKey));
  const missing = inventory.filter((r) => !want.has(refKey(r)));
  // CRDs are kept unless the source opted in, and do not count towards the prune's share.
  const crds = pruneCRDs ? [] : missing.filter(isCrd);
  const gone = pruneCRDs ? missing : missing.filter((r) => !isCrd(r));
  const keptCrds = crds
    .filter((ref) => liveAnnotations.get(refKey(ref)) !== undefined)
    .map((ref) => ({ ref, reason: CRD_KEPT }));
  if (gone.length === 0) return { delete: [], kept: keptCrds };
  // A refused prune keeps every candidate, each with the reason (diff shows them as refused).
  const refuse = (refused: string): PrunePlan => ({
    delete: [],
    kept: [...gone.map((ref) => ({ ref, reason: `prune refused: ${refused}` })), ...keptCrds],
    refused,
  });
  if (desired.length === 0)
    return refuse(`the commit renders no objects; refusing to prune all ${inventory.length}`);
  const fraction = gone.length / (inventory.length - crds.length);
  if (fraction > maxFraction)
    return refuse(
      `pruning ${gone.length} of ${inventory.length} objects (${Math.round(fraction * 100)}%) is over the ${Math.round(maxFraction * 100)}% limit`,
    );
  const del: ObjectRef[] = [];
  const kept: { ref: ObjectRef; reason: string }[] = [...keptCrds];
  for (const ref of gone) {
    const key = refKey(ref);
    if (!liveAnnotations.has(key)) continue;
    const ann = liveAnnotations.get(key);
    if (ann === undefined) continue;
    if (ann[PRUNE_OPT_OUT] === 'disabled')
      kept.push({ ref, reason: `annotated ${PRUNE_OPT_OUT}: disabled` });
    else del.push(ref);
  }
  const rank = (r: ObjectRef): number =>
    r.kind === 'Namespace' ? 2 : r.kind === 'CustomResourceDefinition' ? 1 : 0;
  del.sort((a, b) => rank(a) - rank(b));
  return { delete: del, kept };
}
