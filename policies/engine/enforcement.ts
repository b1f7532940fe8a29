import { isObject } from '../../core/object.js';
import { Enforcement, type PolicyMeta } from './discover.js';
import { parseScope, type PolicyScope } from './scope.js';

/**
 * The platform's word on one policy: the action, and where it applies. Compiled into the bundle,
 * so the webhook, the pre-apply gate and the audit read one truth.
 */
export interface EnforcementEntry {
  readonly action?: Enforcement;
  readonly scope?: PolicyScope;
}

/** Policy id → entry (config `enforcementOverrides`; a bare action is `{ action }`). */
export type EnforcementConfig = Readonly<Record<string, EnforcementEntry>>;

const isAction = (v: unknown): v is Enforcement =>
  typeof v === 'string' && Object.values(Enforcement).includes(v as Enforcement);

/** Read `enforcementOverrides` (both binaries, the same shape). Pure; problems are collected. */
export function parseEnforcement(
  raw: unknown,
  where: string,
  problems: string[],
): EnforcementConfig {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) {
    problems.push(`${where} must be a mapping of policy id to an action or { action, scope }`);
    return {};
  }
  const out: Record<string, EnforcementEntry> = {};
  for (const [id, v] of Object.entries(raw)) {
    const at = `${where}.${id}`;
    if (isAction(v)) {
      out[id] = { action: v };
      continue;
    }
    if (!isObject(v) || (v.action !== undefined && !isAction(v.action))) {
      problems.push(`${at} must be enforce, warn or dryrun, or { action, scope }`);
      continue;
    }
    for (const k of Object.keys(v))
      if (k !== 'action' && k !== 'scope')
        problems.push(`unknown key ${at}.${k} (known: action, scope)`);
    const scope = parseScope(v.scope, `${at}.scope`, problems);
    out[id] = { ...(isAction(v.action) ? { action: v.action } : {}), ...(scope ? { scope } : {}) };
  }
  return out;
}

/** The policies with the platform's actions and scopes laid over their own. Pure. */
export function applyEnforcement(
  policies: readonly PolicyMeta[],
  cfg: EnforcementConfig = {},
): PolicyMeta[] {
  return policies.map((p) => {
    const e = cfg[p.id];
    if (!e) return p;
    return {
      ...p,
      enforcement: e.action ?? p.enforcement,
      ...(e.scope ? { scope: e.scope } : {}),
    };
  });
}
