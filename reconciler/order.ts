import type { K8sObject } from './objects.js';

export const SYNC_WAVE = 'driftgate.io/sync-wave';

const KIND_RANK: Record<string, number> = { Namespace: 0, CustomResourceDefinition: 1 };

/** Apply order: Namespaces, then CRDs, then by sync-wave annotation (default 0), then the rest. */
export function applyOrder<T extends { object: K8sObject }>(items: readonly T[]): T[] {
  const wave = (o: K8sObject): number =>
    Number.parseInt(o.metadata.annotations?.[SYNC_WAVE] ?? '0', 10) || 0;
  const rank = (o: K8sObject): [number, number] => [KIND_RANK[o.kind] ?? 2, wave(o)];
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
    const k = `${KIND_RANK[o.kind] ?? 2}/${Number.parseInt(o.metadata.annotations?.[SYNC_WAVE] ?? '0', 10) || 0}`;
    if (k !== key || out.length === 0) out.push([]);
    key = k;
    (out[out.length - 1] as T[]).push(item);
  }
  return out;
}
