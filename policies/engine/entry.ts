import type { PolicyMeta } from './discover.js';
import { regoRef } from './gatekeeper/compile.js';

/** Package of the generated entry module (outside `driftgate.*`, so never a policy). */
export const ENTRY_PACKAGE = 'driftgate_entry';
/** Aggregate entrypoint: every policy's {deny, warn, patch} keyed by policy id. */
export const RESULTS_ENTRYPOINT = `${ENTRY_PACKAGE}/results`;
/** Per-policy entrypoint, used to attribute an evaluation error to one policy. */
export const policyEntrypoint = (index: number): string => `${ENTRY_PACKAGE}/p${index}`;

/**
 * Where a request's object lives, as scope.ts reads it (its own namespace, the old object's, or
 * the request's), and whether it is a Namespace: a tenant policy's gate before evaluation.
 */
const TENANT_HELPERS = [
  'request_namespace := ns if {',
  '	ns := input.request.object.metadata.namespace',
  '	is_string(ns)',
  '	ns != ""',
  '} else := ns if {',
  '	ns := input.request.oldObject.metadata.namespace',
  '	is_string(ns)',
  '	ns != ""',
  '} else := input.request.namespace',
  '',
  'namespace_object if {',
  '	input.request.kind.kind == "Namespace"',
  '	object.get(input.request.kind, "group", "") == ""',
  '}',
  '',
];

/**
 * Rego for the entry module: a rule per policy that defaults missing deny/warn/patch to empty
 * sets (so authors define only what they need), and `results` gathering them all, so one wasm
 * evaluation answers for the whole library.
 */
export function entryModule(policies: readonly PolicyMeta[]): string {
  const lines = [`package ${ENTRY_PACKAGE}`, '', 'import rego.v1', '', ...TENANT_HELPERS];
  policies.forEach((p, i) => {
    const ref = regoRef('data.driftgate', p.path);
    // A tenant's policy is not even evaluated outside its namespaces: its cost stays its own.
    const when = p.tenant ? ` if p${i}_inside` : '';
    if (p.tenant)
      lines.push(
        `p${i}_inside if {`,
        '	not namespace_object',
        `	request_namespace in ${JSON.stringify(p.tenant.namespaces)}`,
        // The audit sets it for a tenant past its evaluation budget (reconciler/policy/audit-budget.ts).
        `	not input.driftgate.skip_tenants[${JSON.stringify(p.tenant.source)}]`,
        '}',
      );
    for (const out of ['deny', 'warn', 'patch']) {
      lines.push(`default p${i}_${out} := set()`, `p${i}_${out} := ${ref}.${out}${when}`);
    }
    lines.push(`p${i} := {"deny": p${i}_deny, "warn": p${i}_warn, "patch": p${i}_patch}`, '');
  });
  const entries = policies.map((p, i) => `\t${JSON.stringify(p.id)}: p${i},`);
  lines.push('results := {', ...entries, '}', '');
  return lines.join('\n');
}
