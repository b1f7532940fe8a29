/**
 * The desired-state index as the reconciler serves it and the webhook reads it
 * (`GET /v1/desired`): for every verified commit, what Git declares for each object, where.
 * Shared by both binaries; pure.
 */

/** One Git-declared object: what driftgate applies for it, and where it comes from. */
export interface IndexEntry {
  readonly group: string;
  /** Resource (plural) name from discovery: subresource requests (scale) carry only this. */
  readonly resource: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** File in the repository that declares it. */
  readonly path: string;
  /** The object as applied (ignored fields removed, source label added). */
  readonly declared: Record<string, unknown>;
  /** ignoreDifferences JSON pointers for this object: editable by anyone. */
  readonly ignore: readonly string[];
}

export interface IndexSource {
  readonly name: string;
  readonly repoURL: string;
  /** The verified commit the entries come from. */
  readonly revision: string;
  /**
   * The user the source applies as when it is not the reconciler itself (a GitSource's
   * serviceAccountName, impersonated): its writes of this source's objects are the reconciler's.
   */
  readonly applier?: string;
  /**
   * The remote cluster the source applies to (a name from gitSources.clusters); absent: the
   * reconciler's own cluster. A webhook takes only its own cluster's sources.
   */
  readonly cluster?: string;
  readonly entries: readonly IndexEntry[];
}

export interface DesiredIndexDoc {
  readonly version: 1;
  /** Changes whenever any source's revision changes: the HTTP ETag. */
  readonly generation: string;
  readonly sources: readonly IndexSource[];
  /**
   * Sources the reconciler runs whose entries it does not know yet (started, neither synced nor
   * restored): a webhook keeps what it last had for them rather than dropping their guard.
   */
  readonly pending?: readonly string[];
}

/** The Rego of the policy paths, as last built and tested by the reconciler (`GET /v1/policies`). */
export interface PolicyFilesDoc {
  readonly version: 1;
  readonly revision: string;
  /** Path relative to the policy root → file text. */
  readonly files: Readonly<Record<string, string>>;
}

/** Lookup key by resource: `group/resource/namespace/name` (namespace empty when cluster-scoped). */
export const resourceKey = (
  group: string,
  resource: string,
  namespace: string | undefined,
  name: string,
): string => `${group}/${resource}/${namespace ?? ''}/${name}`;

/** The break-glass annotations (reason, and an RFC 3339 expiry). */
export const BREAK_GLASS = 'driftgate.io/break-glass';
export const BREAK_GLASS_EXPIRES = 'driftgate.io/break-glass-expires';

export interface BreakGlass {
  readonly reason: string;
  readonly expiresMs: number;
}

/** The break-glass an object carries, valid or not (expiresMs NaN when unparseable). */
export function breakGlassOf(obj: unknown): BreakGlass | undefined {
  const meta = (obj as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata;
  const reason = meta?.annotations?.[BREAK_GLASS];
  if (typeof reason !== 'string') return undefined;
  const expires = meta?.annotations?.[BREAK_GLASS_EXPIRES];
  return { reason, expiresMs: typeof expires === 'string' ? Date.parse(expires) : NaN };
}

/** Whether a break-glass is in force at `nowMs`. */
export const breakGlassActive = (bg: BreakGlass | undefined, nowMs: number): boolean =>
  bg !== undefined &&
  bg.reason.trim() !== '' &&
  Number.isFinite(bg.expiresMs) &&
  bg.expiresMs > nowMs;

const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Whether `v` is shaped like an IndexEntry (e.g. one read back from the cluster). Pure. */
export function isIndexEntry(v: unknown): v is IndexEntry {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const e = v as Record<string, unknown>;
  return (
    ['group', 'resource', 'kind', 'name', 'path'].every((k) => typeof e[k] === 'string') &&
    (e.namespace === undefined || typeof e.namespace === 'string') &&
    typeof e.declared === 'object' &&
    e.declared !== null &&
    !Array.isArray(e.declared) &&
    isStrings(e.ignore)
  );
}
