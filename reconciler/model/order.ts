import type { K8sObject } from './objects.js';

export const SYNC_WAVE = 'driftgate.io/sync-wave';
/** Argo CD's wave annotation, accepted as it is so repositories migrate unchanged. */
export const ARGO_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/** An object's sync wave (driftgate's annotation, else Argo CD's; 0 when absent or not a number). */
export const waveOf = (o: K8sObject): number => {
  const a = o.metadata.annotations;
  return Number.parseInt(a?.[SYNC_WAVE] ?? a?.[ARGO_SYNC_WAVE] ?? '0', 10) || 0;
};

const KIND_RANK: Record<string, number> = { Namespace: 0, CustomResourceDefinition: 1 };

/** Apply order: Namespaces, then CRDs, then by sync-wave annotation (default 0), then the rest. */
export function applyOrder<T extends { object: K8sObject }>(items: readonly T[]): T[] {
  const rank = (o: K8sObject): [number, number] => [KIND_RANK[o.kind] ?? 2, waveOf(o)];
  return [...items].sort((a, b) => {
    const [ka, wa] = rank(a.object);
    const [kb, wb] = rank(b.object);
    return ka - kb || wa - wb;
  });
}

/** Split an applyOrder()-sorted list into groups that may be applied together. */
export function waves<T extends { object: K8sObject }>(sorted: readonly T[]): T[][] {
  const out: T[][] = [];
  let key = '';
  for (const item of sorted) {
    const o = item.object;
    const k = `${KIND_RANK[o.kind] ?? 2}/${waveOf(o)}`;
    if (k !== key || out.length === 0) out.push([]);
    key = k;
    (out[out.length - 1] as T[]).push(item);
  }
  return out;
}
