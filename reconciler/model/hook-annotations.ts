import type { K8sObject } from './objects.js';
import { refOf, refText } from './objects.js';
import { waveOf } from './order.js';
import type { Rendered } from './objects.js';
import type { RefusedObject } from './scope.js';

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

/** What one hook's run came to, in status. */
export interface HookReport {
  readonly phase: HookPhase;
  readonly object: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly message?: string;
}

/** A declared hook: run in its phases, never part of the inventory, the index or drift. */
export interface HookObject extends Rendered {
  readonly phases: readonly HookPhase[];
  readonly deletePolicies: readonly DeletePolicy[];
  readonly wave: number;
  /**
   * When its delete policy is applied: after its whole phase (Helm), or after the whole sync
   * operation (Argo CD), so hooks that others of the phase need (ServiceAccounts, RBAC) stay.
   */
  readonly deleteAfter: 'phase' | 'operation';
}

/**
 * Helm's install order (pkg/releaseutil/kind_sorter.go): within a weight, hooks run kind by kind
 * in this order, unknown kinds last, so a Job's ServiceAccount and RBAC exist before the Job.
 */
const INSTALL_ORDER = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];
const KIND_RANK = new Map(INSTALL_ORDER.map((k, i) => [k, i]));

/** A kind's place in Helm's install order (unknown kinds after every known one). */
export const installRank = (kind: string): number => KIND_RANK.get(kind) ?? INSTALL_ORDER.length;

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
    deleteAfter: argo ? 'operation' : 'phase',
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

/**
 * One wave's hooks in the steps they run in: kind by kind in Helm's install order, then by name;
 * the hooks of one step run together, a step starts when the one before has finished. Pure.
 */
export function waveSteps(wave: readonly HookObject[]): HookObject[][] {
  const name = (h: HookObject): string =>
    h.object.metadata.name ?? String(h.object.metadata.generateName ?? '');
  const sorted = [...wave].sort(
    (a, b) =>
      installRank(a.object.kind) - installRank(b.object.kind) ||
      a.object.kind.localeCompare(b.object.kind) ||
      name(a).localeCompare(name(b)),
  );
  const steps: HookObject[][] = [];
  for (const h of sorted) {
    const last = steps[steps.length - 1];
    if (last && (last[0] as HookObject).object.kind === h.object.kind) last.push(h);
    else steps.push([h]);
  }
  return steps;
}

/** A hook's name for status and events (its generateName prefix until it is created). */
export const hookName = shown;
