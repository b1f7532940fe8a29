import type { SourceState } from '../model/source-state.js';

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

type Draft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

const MAX_MESSAGE = 2000;

/**
 * A condition reason in metav1.Condition's form (CamelCase, `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`,
 * at most 1024): RECONCILE_FORBIDDEN → ReconcileForbidden, unknown-key → UnknownKey. Pure.
 */
export function conditionReason(text: string): string {
  const camel = text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) =>
      w === w.toUpperCase() || w === w.toLowerCase()
        ? w[0]?.toUpperCase() + w.slice(1).toLowerCase()
        : w[0]?.toUpperCase() + w.slice(1),
    )
    .join('')
    .replace(/^[0-9]+/, '');
  return (camel || 'Unknown').slice(0, 1024);
}

const cond = (type: string, ok: boolean | undefined, reason: string, message = ''): Draft => ({
  type,
  status: ok === undefined ? 'Unknown' : ok ? 'True' : 'False',
  reason: conditionReason(reason),
  message: message.slice(0, MAX_MESSAGE),
});

/** The conditions a source's state means, before transition times (Kubernetes API conventions). */
export function draftConditions(s: SourceState, reconciling: boolean): Draft[] {
  const drifted = [...s.objects.values()].filter((o) => o.drift.length > 0).length;
  const stalled = s.errors.find((e) => e.next === 'stalled');
  const v = s.verification;
  const verified = v
    ? cond(
        'Verified',
        v.ok,
        v.ok ? 'Signed' : (v.reason ?? 'Unverified'),
        v.ok ? `signed by ${s.signer ?? 'a trusted key'}` : (v.detail ?? v.reason ?? ''),
      )
    : cond('Verified', undefined, 'NotYetFetched');
  const synced = cond(
    'Synced',
    s.syncStatus === 'Unknown' ? undefined : s.syncStatus === 'Synced',
    s.syncStatus,
    s.syncStatus === 'Synced' ? `applied ${s.revision ?? ''}` : (s.lastError ?? ''),
  );
  const healthy = cond(
    'Healthy',
    s.health === 'Unknown' ? undefined : s.health === 'Healthy',
    s.health,
  );
  const hook = s.runningHook
    ? `${s.runningHook.phase} hook ${s.runningHook.object} is running`
    : undefined;
  const ready = s.suspended
    ? cond('Ready', false, 'Suspended', 'spec.suspend is true: nothing is synced or healed')
    : hook
      ? cond('Ready', undefined, 'HookRunning', hook)
      : stalled
        ? cond('Ready', false, stalled.code, stalled.message)
        : cond(
            'Ready',
            reconciling && s.syncStatus === 'Unknown'
              ? undefined
              : v?.ok === true && s.syncStatus === 'Synced' && s.health === 'Healthy',
            s.syncStatus === 'Synced' && s.health === 'Healthy'
              ? 'Succeeded'
              : s.syncStatus === 'Synced'
                ? s.health
                : s.syncStatus,
            s.lastError ??
              (s.syncStatus === 'Synced' ? `revision ${s.revision ?? ''} applied and healthy` : ''),
          );
  return [
    ready,
    hook
      ? cond('Reconciling', true, 'HookRunning', hook)
      : cond('Reconciling', reconciling, reconciling ? 'Progressing' : 'Idle'),
    cond('Stalled', stalled !== undefined, stalled?.code ?? 'NotStalled', stalled?.message ?? ''),
    verified,
    synced,
    healthy,
    cond(
      'Drifted',
      drifted > 0,
      drifted > 0 ? 'DriftDetected' : 'InSync',
      drifted > 0 ? `${drifted} objects differ from Git` : '',
    ),
  ];
}

/** Conditions with transition times kept while a condition's status is unchanged. Pure. */
export function withTransitions(
  drafts: readonly Draft[],
  previous: readonly Condition[],
  generation: number | undefined,
  now: string,
): Condition[] {
  return drafts.map((d) => {
    const p = previous.find((x) => x.type === d.type);
    return {
      ...d,
      lastTransitionTime: p && p.status === d.status ? p.lastTransitionTime : now,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
}

/** The status subresource of a GitSource for its source's state. Pure. */
export function gitSourceStatus(
  s: SourceState,
  o: {
    readonly generation?: number;
    readonly previous: readonly Condition[];
    readonly now: string;
    readonly reconciling?: boolean;
  },
): Record<string, unknown> {
  const objects = [...s.objects.values()];
  return {
    ...(o.generation !== undefined ? { observedGeneration: o.generation } : {}),
    conditions: withTransitions(
      draftConditions(s, o.reconciling ?? false),
      o.previous,
      o.generation,
      o.now,
    ),
    ...(s.revision ? { lastAppliedRevision: s.revision } : {}),
    ...(s.remoteHead ? { lastAttemptedRevision: s.remoteHead } : {}),
    ...(s.signer ? { signer: s.signer } : {}),
    inventory: {
      objects: objects.length,
      drifted: objects.filter((x) => x.drift.length > 0).length,
      unhealthy: objects.filter((x) => x.health !== 'Healthy').length,
    },
    errors: s.errors.slice(0, 20).map((e) => ({ ...e, message: e.message.slice(0, 1000) })),
    refused: s.refused.slice(0, 50),
    policyViolations: s.policyViolations
      .slice(0, 50)
      .map((v) => ({ ...v, message: v.message.slice(0, 500) })),
    ...(s.policies
      ? {
          policies: {
            ...s.policies,
            ...(s.policies.error ? { error: s.policies.error.slice(0, 1000) } : {}),
          },
        }
      : {}),
  };
}

/** The status of a GitSource whose spec cannot be used: Stalled, every problem said. Pure. */
export function invalidSpecStatus(
  problems: readonly string[],
  previous: readonly Condition[],
  generation: number | undefined,
  now: string,
): Record<string, unknown> {
  const message = problems.join('; ').slice(0, MAX_MESSAGE);
  const drafts: Draft[] = [
    cond('Ready', false, 'InvalidSpec', message),
    cond('Stalled', true, 'InvalidSpec', message),
    cond('Reconciling', false, 'Idle'),
  ];
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: withTransitions(drafts, previous, generation, now),
  };
}

/** The conditions a GitSource's status holds now. */
export const conditionsOf = (obj: object): Condition[] => {
  const st = (obj as { status?: { conditions?: unknown } }).status;
  return Array.isArray(st?.conditions) ? (st.conditions as Condition[]) : [];
};
