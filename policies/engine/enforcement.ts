import { parse } from 'yaml';
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
  /** Laid over the policy.yaml parameters, key by key (e.g. `exemptImages`). */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** The file beside the policies, at the root of a policy path, that holds an EnforcementConfig. */
export const ENFORCEMENT_FILE = 'enforcement.yaml';
const ENTRY_KEYS = ['action', 'scope', 'parameters'];

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
      problems.push(`${at} must be enforce, warn or dryrun, or { action, scope, parameters }`);
      continue;
    }
    for (const k of Object.keys(v))
      if (!ENTRY_KEYS.includes(k))
        problems.push(`unknown key ${at}.${k} (known: ${ENTRY_KEYS.join(', ')})`);
    if (v.parameters !== undefined && !isObject(v.parameters))
      problems.push(`${at}.parameters must be a mapping`);
    const scope = parseScope(v.scope, `${at}.scope`, problems);
    out[id] = {
      ...(isAction(v.action) ? { action: v.action } : {}),
      ...(scope ? { scope } : {}),
      ...(isObject(v.parameters) ? { parameters: v.parameters } : {}),
    };
  }
  return out;
}

/**
 * An enforcement file (`enforcement.yaml`): `policies:` mapping policy id to an action or
 * `{ action, scope, parameters }`. Pure; problems are collected with `where` as the file name.
 */
export function parseEnforcementFile(
  text: string,
  where: string,
  problems: string[],
): EnforcementConfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) {
    problems.push(`${where} must be a mapping with a policies key`);
    return {};
  }
  for (const k of Object.keys(doc))
    if (k !== 'policies') problems.push(`unknown key ${where}: ${k} (known: policies)`);
  return parseEnforcement(doc.policies, `${where}: policies`, problems);
}

/** `over` laid on `base`, field by field per policy (parameters key by key). Pure. */
export function mergeEnforcement(
  base: EnforcementConfig,
  over: EnforcementConfig,
): EnforcementConfig {
  const out: Record<string, EnforcementEntry> = { ...base };
  for (const [id, e] of Object.entries(over)) {
    const b = base[id] ?? {};
    const parameters =
      b.parameters || e.parameters ? { ...b.parameters, ...e.parameters } : undefined;
    out[id] = { ...b, ...e, ...(parameters ? { parameters } : {}) };
  }
  return out;
}

/** The ids an enforcement config names that are not policies of `policies`. Pure. */
export const unknownPolicyIds = (
  cfg: EnforcementConfig,
  policies: readonly PolicyMeta[],
): string[] => Object.keys(cfg).filter((id) => !policies.some((p) => p.id === id));

/** The policies with the platform's actions, scopes and parameters laid over their own. Pure. */
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
      ...(e.parameters ? { parameters: { ...p.parameters, ...e.parameters } } : {}),
    };
  });
}
