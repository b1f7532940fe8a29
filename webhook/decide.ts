import type { PolicyOutcome } from '../policies/engine/outcome.js';
import type { Enforcement } from '../policies/engine/discover.js';
import type { JsonPatchOp } from '../policies/engine/outcome.js';

export const Endpoint = { validate: 'validate', mutate: 'mutate' } as const;
export type Endpoint = (typeof Endpoint)[keyof typeof Endpoint];

/** One policy finding, for metrics and audit: which policy, and what driftgate did about it. */
export interface Violation {
  readonly policy: string;
  /** `existing`: an enforced violation the old object already had, allowed on update. */
  readonly action: Enforcement | 'existing';
}

/** What to answer, before it is put into an AdmissionResponse. */
export interface Decision {
  readonly allowed: boolean;
  /** Set when denied. */
  readonly message?: string;
  readonly warnings: readonly string[];
  readonly patch: readonly JsonPatchOp[];
  readonly violations: readonly Violation[];
  /** Policies whose evaluation failed. */
  readonly errors: readonly string[];
}

export interface DecideInput {
  readonly endpoint: Endpoint;
  readonly outcomes: readonly PolicyOutcome[];
  /**
   * On UPDATE: the violations the old object already had (`existingKey`s); they warn instead of
   * denying, for policies that allow existing violations.
   */
  readonly existing?: ReadonlySet<string>;
  /**
   * Set for a write by the reconciler while its pre-apply gate is on (the gate judged it):
   * enforced policies warn, with this note. One truth, not two.
   */
  readonly gateJudged?: string;
}

/** The identity of one violation, to find it again in the old object's evaluation. */
export const existingKey = (policy: string, message: string): string => `${policy}\n${message}`;

/** Every deny message of an evaluation of the old object, as `existingKey`s. Pure. */
export function existingViolations(outcomes: readonly PolicyOutcome[]): Set<string> {
  return new Set(
    outcomes.flatMap((o) => (o.ok ? o.result.deny.map((m) => existingKey(o.policy.id, m)) : [])),
  );
}

/** At most this many denial reasons are spelled out; the rest are counted. */
export const MAX_REASONS = 5;

const depth = (path: string): number => path.split('/').length;

/**
 * Turn policy outcomes into a decision. Pure.
 * - validate: enforce-mode denies deny; warn-mode denies become warnings; dryrun only counts;
 *   every `warn` message is a warning. A policy that failed to evaluate denies when it enforces
 *   (fail closed: a broken guard must not open the door) and warns otherwise.
 * - mutate: only patches, parents before children; never denies or warns (validate does that,
 *   so kubectl shows each message once).
 */
export function decide({
  endpoint,
  outcomes,
  existing = new Set(),
  gateJudged,
}: DecideInput): Decision {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const patch: JsonPatchOp[] = [];
  const violations: Violation[] = [];
  const errors: string[] = [];
  for (const o of outcomes) {
    const id = o.policy.id;
    // The bundle carries the platform's action (enforcementOverrides are compiled into it).
    const gated = gateJudged !== undefined && o.policy.enforcement === 'enforce';
    const action = gated ? 'warn' : o.policy.enforcement;
    const note = gated ? ` (${gateJudged})` : '';
    if (!o.ok) {
      errors.push(id);
      if (endpoint === 'mutate') continue;
      const text = `policy ${id} could not be evaluated: ${o.error}`;
      if (action === 'enforce') reasons.push(text);
      else warnings.push(text);
      continue;
    }
    if (endpoint === 'mutate') {
      if (action !== 'dryrun') patch.push(...o.result.patch);
      continue;
    }
    const keepsExisting = o.policy.allowExistingViolations !== false;
    for (const msg of o.result.deny) {
      if (action === 'enforce' && keepsExisting && existing.has(existingKey(id, msg))) {
        // Not made worse by this change: allowed, and said (Kyverno's allowExistingViolations).
        violations.push({ policy: id, action: 'existing' });
        warnings.push(`[${id}] existing violation, allowed on update: ${msg}`);
        continue;
      }
      violations.push({ policy: id, action });
      if (action === 'enforce') reasons.push(`[${id}] ${msg}`);
      else if (action === 'warn') warnings.push(`[${id}] ${msg}${note}`);
    }
    if (action !== 'dryrun') warnings.push(...o.result.warn.map((w) => `[${id}] ${w}`));
  }
  patch.sort((a, b) => depth(a.path) - depth(b.path));
  if (reasons.length === 0) return { allowed: true, warnings, patch, violations, errors };
  const more = reasons.length > MAX_REASONS ? ` (and ${reasons.length - MAX_REASONS} more)` : '';
  const message = `${reasons.slice(0, MAX_REASONS).join('; ')}${more}`;
  return { allowed: false, message, warnings, patch: [], violations, errors };
}
