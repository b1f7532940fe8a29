import {
  BREAK_GLASS,
  BREAK_GLASS_EXPIRES,
  breakGlassActive,
  breakGlassOf,
  type BreakGlass,
} from '../core/desired-index.js';
import { SOURCE_LABEL } from '../core/labels.js';
import { sealSecret, shownDiffs } from '../core/secrets.js';
import { declaredDiff, type FieldDiff } from '../core/diff.js';
import type { Declared, DesiredState } from './desired-state.js';
import type { AdmissionRequest } from './types.js';

/** How the webhook guards what Git declares. */
export interface GitGuardConfig {
  /**
   * The reconciler's exact identity (its writes are how declared fields change) and its
   * pre-apply gate mode (chart: the same `policies.gate` value).
   */
  readonly reconciler: {
    readonly username: string;
    readonly group: string;
    readonly gate: 'enforce' | 'warn' | 'off';
  };
  readonly breakGlass: {
    /** Groups allowed to break glass; empty: nobody can. */
    readonly groups: ReadonlySet<string>;
    readonly maxDurationMs: number;
  };
  /** Namespaces where only what Git declares may be created. */
  readonly governed: {
    readonly namespaces: ReadonlySet<string>;
    readonly mode: 'deny' | 'warn';
  };
}

export type GitVerdict =
  | { readonly kind: 'unmanaged' }
  | { readonly kind: 'governed'; readonly mode: 'deny' | 'warn'; readonly message: string }
  | {
      readonly kind: 'allowed';
      readonly declared: Declared;
      /** Set when the change departs from Git under an active break-glass. */
      readonly breakGlass?: BreakGlass & { readonly fields: readonly string[] };
    }
  | {
      readonly kind: 'denied';
      readonly declared?: Declared;
      readonly message: string;
      readonly fields: readonly string[];
    };

/** Deletes by these controllers are never manual changes (namespace teardown, garbage collection). */
const CONTROLLER_DELETERS = new Set([
  'system:serviceaccount:kube-system:namespace-controller',
  'system:serviceaccount:kube-system:generic-garbage-collector',
  'system:kube-controller-manager',
]);

const SOURCE_LABEL_POINTER = `/metadata/labels/${SOURCE_LABEL.replace('/', '~1')}`;
const MAX_FIELDS = 3;

type Obj = Record<string, unknown>;

const show = (v: unknown): string => {
  const s = v === undefined ? 'unset' : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

/**
 * The namespace an object lives in: none for a Namespace, though the apiserver sends a
 * Namespace's own name as request.namespace.
 */
const namespaceOf = (req: AdmissionRequest): string | undefined =>
  req.resource?.group === '' && req.resource.resource === 'namespaces' ? undefined : req.namespace;

function objectName(req: AdmissionRequest): string | undefined {
  const meta = (req.object?.metadata ?? req.oldObject?.metadata) as { name?: string } | undefined;
  return req.name || meta?.name;
}

const where = (req: AdmissionRequest, name: string, kind = req.kind.kind): string =>
  `${kind} ${req.namespace ? `${req.namespace}/` : ''}${name}`;

function howTo(d: Declared, cfg: GitGuardConfig): string {
  const groups = [...cfg.breakGlass.groups];
  const glass =
    groups.length > 0
      ? ` In an emergency, break glass (groups ${groups.join(', ')}): annotate ${BREAK_GLASS}="<reason>" and ${BREAK_GLASS_EXPIRES}="<RFC 3339 time, at most ${Math.round(cfg.breakGlass.maxDurationMs / 60_000)}m ahead>".`
      : '';
  return `To change it, edit ${d.entry.path} in ${d.source.repoURL}, commit (signed) and push; driftgate applies it.${glass}`;
}

function deny(
  req: AdmissionRequest,
  name: string,
  d: Declared,
  cfg: GitGuardConfig,
  what: string,
  fields: readonly FieldDiff[],
): GitVerdict {
  const listed = shownDiffs(d.entry.kind, fields)
    .slice(0, MAX_FIELDS)
    .map((f) => `${f.path} (Git: ${show(f.declared)}, request: ${show(f.live)})`)
    .join(', ');
  const more = fields.length > MAX_FIELDS ? ` and ${fields.length - MAX_FIELDS} more` : '';
  const message =
    `${where(req, name, d.entry.kind)}${req.subResource ? ` (${req.subResource})` : ''} is managed from Git by source "${d.source.name}" (${d.source.repoURL}, path ${d.entry.path}, commit ${d.source.revision.slice(0, 12)}); ` +
    `${what}${listed ? `: ${listed}${more}` : ''}. ${howTo(d, cfg)}`;
  return { kind: 'denied', declared: d, message, fields: fields.map((f) => f.path) };
}

const inGroups = (req: AdmissionRequest, groups: ReadonlySet<string>): boolean =>
  (req.userInfo.groups ?? []).some((g) => groups.has(g));

/** A break-glass set or changed by this request that is not acceptable, and why. */
function breakGlassProblem(
  req: AdmissionRequest,
  cfg: GitGuardConfig,
  nowMs: number,
): string | undefined {
  const next = breakGlassOf(req.object);
  if (!next) return undefined;
  const prev = breakGlassOf(req.oldObject);
  if (prev && prev.reason === next.reason && prev.expiresMs === next.expiresMs) return undefined;
  if (!inGroups(req, cfg.breakGlass.groups))
    return `only members of ${[...cfg.breakGlass.groups].join(', ') || '(no group configured)'} may set ${BREAK_GLASS}`;
  if (next.reason.trim() === '') return `${BREAK_GLASS} must give a reason`;
  if (!Number.isFinite(next.expiresMs))
    return `${BREAK_GLASS_EXPIRES} must be an RFC 3339 time, e.g. ${new Date(nowMs + 3_600_000).toISOString()}`;
  if (next.expiresMs <= nowMs) return `${BREAK_GLASS_EXPIRES} is in the past`;
  if (next.expiresMs - nowMs > cfg.breakGlass.maxDurationMs)
    return `${BREAK_GLASS_EXPIRES} is more than ${Math.round(cfg.breakGlass.maxDurationMs / 60_000)}m ahead`;
  return undefined;
}

/** Declared fields this request moves away from Git (fields already drifted and left alone are not). */
function departures(
  d: Declared,
  obj: unknown,
  old: unknown,
  ignore: readonly string[],
): FieldDiff[] {
  const declared = d.entry.declared as { apiVersion: string; kind: string; metadata: Obj };
  // The index carries Secret values as digests: compare the request's the same way.
  const now = declaredDiff(declared as never, sealSecret(obj) as never, ignore);
  if (now.length === 0 || old === undefined) return now;
  const before = new Map(
    declaredDiff(declared as never, sealSecret(old) as never, ignore).map((f) => [f.path, f.live]),
  );
  return now.filter(
    (f) => !before.has(f.path) || JSON.stringify(before.get(f.path)) !== JSON.stringify(f.live),
  );
}

function scaleDepartures(d: Declared, req: AdmissionRequest): FieldDiff[] {
  if (d.entry.ignore.includes('/spec/replicas')) return [];
  const want = ((d.entry.declared.spec ?? {}) as { replicas?: unknown }).replicas;
  const next = ((req.object?.spec ?? {}) as { replicas?: unknown }).replicas;
  const prev = ((req.oldObject?.spec ?? {}) as { replicas?: unknown }).replicas;
  if (want === undefined || next === want || next === prev) return [];
  return [{ path: '/spec/replicas', declared: want, live: next }];
}

/** Whether the request comes from the reconciler's exact identity (username and group). */
export function isReconciler(req: AdmissionRequest, cfg: GitGuardConfig): boolean {
  return (
    req.userInfo.username === cfg.reconciler.username &&
    (req.userInfo.groups ?? []).includes(cfg.reconciler.group)
  );
}

/**
 * Judge one request against the Git-declared state. Pure: the index, config and clock come in.
 * Exempt namespaces and users are handled before this is called.
 */
export function checkGit(
  req: AdmissionRequest,
  index: DesiredState,
  cfg: GitGuardConfig,
  nowMs: number,
): GitVerdict {
  const user = req.userInfo.username ?? '';
  if (isReconciler(req, cfg)) return { kind: 'unmanaged' };
  const name = objectName(req);
  const res = req.resource;
  const d = name && res ? index.find(res.group, res.resource, namespaceOf(req), name) : undefined;
  // A tenant source applies as its ServiceAccount: those writes of its own objects are its sync.
  if (d?.source.applier !== undefined && d.source.applier === user) return { kind: 'unmanaged' };
  if (!d) return governed(req, cfg, name);
  const sub = req.subResource ?? '';
  if (sub === 'scale') {
    const fields = scaleDepartures(d, req);
    return fields.length === 0
      ? { kind: 'allowed', declared: d }
      : deny(req, name ?? '', d, cfg, 'this request changes fields Git declares', fields);
  }
  if (sub !== '') return { kind: 'allowed', declared: d };

  const glassProblem = req.operation === 'DELETE' ? undefined : breakGlassProblem(req, cfg, nowMs);
  if (glassProblem)
    return {
      kind: 'denied',
      declared: d,
      message: `break-glass refused: ${glassProblem}`,
      fields: [],
    };
  const glass = req.operation === 'DELETE' ? breakGlassOf(req.oldObject) : breakGlassOf(req.object);
  const broken = breakGlassActive(glass, nowMs) && inGroups(req, cfg.breakGlass.groups);

  if (req.operation === 'DELETE') {
    if (CONTROLLER_DELETERS.has(user)) return { kind: 'allowed', declared: d };
    if (broken && glass)
      return { kind: 'allowed', declared: d, breakGlass: { ...glass, fields: ['(delete)'] } };
    return deny(
      req,
      name ?? '',
      d,
      cfg,
      'deleting it departs from Git (it would come back on the next sync)',
      [],
    );
  }
  const fields =
    req.operation === 'CREATE'
      ? departures(d, req.object, undefined, [...d.entry.ignore, SOURCE_LABEL_POINTER])
      : departures(d, req.object, req.oldObject ?? undefined, d.entry.ignore);
  if (fields.length === 0) return { kind: 'allowed', declared: d };
  if (broken && glass)
    return {
      kind: 'allowed',
      declared: d,
      breakGlass: { ...glass, fields: fields.map((f) => f.path) },
    };
  return deny(req, name ?? '', d, cfg, 'this request changes fields Git declares', fields);
}

/** CREATE of an object Git does not declare, in a governed namespace, by a person. */
function governed(
  req: AdmissionRequest,
  cfg: GitGuardConfig,
  name: string | undefined,
): GitVerdict {
  const ns = namespaceOf(req);
  if (req.operation !== 'CREATE' || req.subResource || !ns) return { kind: 'unmanaged' };
  if (!cfg.governed.namespaces.has(ns)) return { kind: 'unmanaged' };
  // Controllers and operators (system: identities) make objects Git does not list. An owner
  // reference is no such sign: anyone may write one.
  const user = req.userInfo.username ?? '';
  if (user.startsWith('system:')) return { kind: 'unmanaged' };
  return {
    kind: 'governed',
    mode: cfg.governed.mode,
    message: `namespace ${req.namespace} is governed by Git: ${where(req, name ?? '(generated name)')} is not declared in any source. Add it to Git, commit (signed) and push.`,
  };
}

/**
 * The note for a write by the reconciler while its pre-apply gate is on; undefined otherwise.
 * The gate judged that write with the bundle the reconciler builds and serves, which may be
 * newer than this replica's (a webhook follows the reconciler's feed): an enforced policy here
 * then warns instead of denying, so a self-heal or a new revision is never refused by a policy
 * the gate let through. With the gate off, the webhook is the only judge and denies. Pure.
 */
export function gateJudged(req: AdmissionRequest, cfg: GitGuardConfig): string | undefined {
  if (cfg.reconciler.gate === 'off' || !isReconciler(req, cfg)) return undefined;
  return `written by the reconciler, whose pre-apply gate (${cfg.reconciler.gate}) judged it`;
}
