import type { K8sObject } from './objects.js';
import { refOf, refText } from './objects.js';
import { waveOf } from './order.js';
import type { Rendered } from './render/render.js';
import type { RefusedObject } from './tenancy.js';

/** Argo CD's hook annotations, read as they are so repositories migrate unchanged. */
export const ARGO_HOOK = 'argocd.argoproj.io/hook';
export const ARGO_HOOK_DELETE = 'argocd.argoproj.io/hook-delete-policy';
export const HELM_HOOK = 'helm.sh/hook';
export const HELM_HOOK_DELETE = 'helm.sh/hook-delete-policy';
export const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';
/** On every hook object driftgate creates: the source it ran for (never the source label). */
export const HOOK_LABEL = 'driftgate.io/hook-of';

export const HookPhase = {
  PreSync: 'PreSync',
  Sync: 'Sync',
  PostSync: 'PostSync',
  SyncFail: 'SyncFail',
} as const;
export type HookPhase = (typeof HookPhase)[keyof typeof HookPhase];

export const DeletePolicy = {
  HookSucceeded: 'HookSucceeded',
  HookFailed: 'HookFailed',
  BeforeHookCreation: 'BeforeHookCreation',
} as const;
export type DeletePolicy = (typeof DeletePolicy)[keyof typeof DeletePolicy];

/** A declared hook: run in its phases, never part of the inventory, the index or drift. */
export interface HookObject extends Rendered {
  readonly phases: readonly HookPhase[];
  readonly deletePolicies: readonly DeletePolicy[];
  readonly wave: number;
}

// Helm's hooks as Argo CD maps them; delete, rollback and test hooks are never run by a sync.
const HELM_PHASE: Record<string, HookPhase | 'skip'> = {
  'pre-install': HookPhase.PreSync,
  'pre-upgrade': HookPhase.PreSync,
  'post-install': HookPhase.PostSync,
  'post-upgrade': HookPhase.PostSync,
  'pre-delete': 'skip',
  'post-delete': 'skip',
  'pre-rollback': 'skip',
  'post-rollback': 'skip',
  test: 'skip',
  'test-success': 'skip',
  'test-failure': 'skip',
};
const HELM_DELETE: Record<string, DeletePolicy> = {
  'before-hook-creation': DeletePolicy.BeforeHookCreation,
  'hook-succeeded': DeletePolicy.HookSucceeded,
  'hook-failed': DeletePolicy.HookFailed,
};
const ARGO_PHASES = new Set<string>([...Object.values(HookPhase), 'Skip']);

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** What an object's hook annotations say; undefined: an ordinary object. Throws on unknown values. */
export function hookOf(
  o: K8sObject,
): { skip: true } | Omit<HookObject, keyof Rendered> | undefined {
  const a = o.metadata.annotations ?? {};
  const argo = a[ARGO_HOOK] !== undefined;
  if (!argo && a[HELM_HOOK] === undefined) return undefined;
  // Argo CD's annotation wins over Helm's, as in Argo CD.
  const named = argo ? list(a[ARGO_HOOK]) : list(a[HELM_HOOK]);
  const phases = new Set<HookPhase>();
  let skip = false;
  for (const n of named) {
    const p = argo ? (ARGO_PHASES.has(n) ? n : undefined) : HELM_PHASE[n];
    if (p === undefined) throw new Error(`unknown hook "${n}" in ${argo ? ARGO_HOOK : HELM_HOOK}`);
    if (p === 'skip' || p === 'Skip') skip = true;
    else phases.add(p as HookPhase);
  }
  if (phases.size === 0) return skip ? { skip: true } : undefined;
  const policies = argo
    ? list(a[ARGO_HOOK_DELETE]).map((p) => {
        if (!(p in DeletePolicy)) throw new Error(`unknown ${ARGO_HOOK_DELETE} "${p}"`);
        return p as DeletePolicy;
      })
    : list(a[HELM_HOOK_DELETE]).map((p) => {
        const d = HELM_DELETE[p];
        if (!d) throw new Error(`unknown ${HELM_HOOK_DELETE} "${p}"`);
        return d;
      });
  const weight = Number.parseInt(a[HELM_HOOK_WEIGHT] ?? '', 10);
  return {
    phases: [...phases],
    // No policy given: the one Argo CD and Helm both assume.
    deletePolicies: policies.length > 0 ? policies : [DeletePolicy.BeforeHookCreation],
    wave: !argo && Number.isFinite(weight) ? weight : waveOf(o),
  };
}

/** Declared objects split into managed ones and hooks; Skip and test hooks are dropped. Pure. */
export interface HookSplit {
  readonly managed: Rendered[];
  readonly hooks: HookObject[];
  /** Objects that cannot be either (a generateName outside a hook, an unknown hook value). */
  readonly refused: RefusedObject[];
}

const shown = (o: K8sObject): string =>
  o.metadata.name
    ? refText(refOf(o))
    : `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${String(o.metadata.generateName)}*`;

export function splitHooks(rendered: readonly Rendered[]): HookSplit {
  const out: HookSplit = { managed: [], hooks: [], refused: [] };
  for (const r of rendered) {
    let hook: ReturnType<typeof hookOf>;
    try {
      hook = hookOf(r.object);
    } catch (err) {
      out.refused.push({ object: shown(r.object), path: r.path, reason: (err as Error).message });
      continue;
    }
    if (hook && 'skip' in hook) continue;
    if (hook) out.hooks.push({ ...r, ...hook });
    else if (!r.object.metadata.name)
      out.refused.push({
        object: shown(r.object),
        path: r.path,
        reason: `metadata.generateName is only for hooks (${ARGO_HOOK}); give it a metadata.name`,
      });
    else out.managed.push(r);
  }
  return out;
}

/** The hooks of one phase in wave order, grouped by wave. Pure. */
export function phaseWaves(hooks: readonly HookObject[], phase: HookPhase): HookObject[][] {
  const byWave = new Map<number, HookObject[]>();
  for (const h of hooks.filter((x) => x.phases.includes(phase)))
    byWave.set(h.wave, [...(byWave.get(h.wave) ?? []), h]);
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, hs]) => hs);
}

/** A hook's name for status and events (its generateName prefix until it is created). */
export const hookName = shown;
