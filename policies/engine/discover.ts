import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { parseScope, type PolicyScope } from './scope.js';
import type { GkMatch } from './gatekeeper/match.js';

export const Enforcement = { enforce: 'enforce', warn: 'warn', dryrun: 'dryrun' } as const;
export type Enforcement = (typeof Enforcement)[keyof typeof Enforcement];

/** One policy: `<category>/<name>/policy.rego` in package `driftgate.<category>.<name>`. */
export interface PolicyMeta {
  /** `<category>/<name>` */
  readonly id: string;
  readonly path: readonly string[];
  readonly description: string;
  readonly enforcement: Enforcement;
  /** Placed at `data.parameters.<category>.<name>`. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * On UPDATE, a violation the old object already had does not deny (Kyverno's
   * allowExistingViolations). @default true
   */
  readonly allowExistingViolations?: boolean;
  /** Where it applies (policy.yaml `scope`; the platform's enforcementOverrides may replace it). */
  readonly scope?: PolicyScope;
  /**
   * Set for a tenant's policy (a GitSource's policyPath): it speaks only about namespaced objects
   * in these namespaces, whatever its own scope or match says (tenancy.ts).
   */
  readonly tenant?: { readonly source: string; readonly namespaces: readonly string[] };
  /** Set for a Gatekeeper constraint: its kind, its template, and its `spec.match`. */
  readonly gatekeeper?: {
    readonly kind: string;
    readonly template: string;
    readonly match?: GkMatch;
    /** The admission operations its template judges (targets[].operations); absent: all. */
    readonly operations?: readonly string[];
    /** A scoped constraint's action at gator's point, for `driftgate check` (none: not run). */
    readonly gator?: Enforcement | 'none';
  };
}

/** A policy directory that cannot be built; `problems` lists every one found. */
export class PolicyLayoutError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`policy layout: ${problems.join('; ')}`);
    this.name = 'PolicyLayoutError';
  }
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (entry.startsWith('.') || entry === 'node_modules') continue;
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/** Every .rego file under `root`, relative paths, sorted. */
export function regoFiles(root: string): string[] {
  return walk(root)
    .filter((f) => f.endsWith('.rego'))
    .map((f) => relative(root, f));
}

const isEnforcement = (v: unknown): v is Enforcement =>
  typeof v === 'string' && Object.values(Enforcement).includes(v as Enforcement);

/**
 * Find the policies under `root` and read their policy.yaml. Throws PolicyLayoutError listing
 * every problem (package name not matching the folder, bad enforcement, unreadable YAML).
 */
export function discoverPolicies(root: string): PolicyMeta[] {
  const problems: string[] = [];
  const policies: PolicyMeta[] = [];
  for (const file of regoFiles(root).filter((f) => f.endsWith(`${sep}policy.rego`))) {
    const parts = file.split(sep).slice(0, -1);
    const pkg = /^package\s+([\w.]+)/m.exec(readFileSync(join(root, file), 'utf8'))?.[1];
    const want = ['driftgate', ...parts].join('.');
    if (pkg !== want) {
      problems.push(`${file}: package must be "${want}" (found "${pkg ?? 'none'}")`);
      continue;
    }
    const metaFile = join(root, ...parts, 'policy.yaml');
    let meta: Record<string, unknown> = {};
    if (existsSync(metaFile)) {
      try {
        meta = (parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown> | null) ?? {};
      } catch (err) {
        problems.push(`${relative(root, metaFile)}: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    const enforcement = meta.enforcement ?? Enforcement.enforce;
    if (!isEnforcement(enforcement)) {
      problems.push(`${relative(root, metaFile)}: enforcement must be enforce, warn or dryrun`);
      continue;
    }
    const existing = meta.allowExistingViolations ?? true;
    if (typeof existing !== 'boolean') {
      problems.push(`${relative(root, metaFile)}: allowExistingViolations must be true or false`);
      continue;
    }
    const scope = parseScope(meta.scope, `${relative(root, metaFile)}: scope`, problems);
    policies.push({
      ...(scope ? { scope } : {}),
      allowExistingViolations: existing,
      id: parts.join('/'),
      path: parts,
      description: typeof meta.description === 'string' ? meta.description : '',
      enforcement,
      parameters: (meta.parameters as Record<string, unknown> | undefined) ?? {},
    });
  }
  if (problems.length > 0) throw new PolicyLayoutError(problems);
  return policies;
}

/** `data` for the bundle: every policy's parameters at data.parameters.<category>.<name>. */
export function parametersData(policies: readonly PolicyMeta[]): Record<string, unknown> {
  const parameters: Record<string, Record<string, unknown>> = {};
  for (const p of policies) {
    let node: Record<string, unknown> = parameters;
    for (const seg of p.path.slice(0, -1)) node = (node[seg] ??= {}) as Record<string, unknown>;
    node[p.path[p.path.length - 1] as string] = p.parameters;
  }
  return { parameters };
}
