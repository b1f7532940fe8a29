import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** A temp policy directory with the given files; removed by the returned cleanup. */
export function policyDir(files: Readonly<Record<string, string>>): {
  dir: string;
  write(files: Readonly<Record<string, string>>): void;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'dg-policies-'));
  const write = (more: Readonly<Record<string, string>>): void => {
    for (const [path, content] of Object.entries(more)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  };
  write(files);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small valid policy denying ConfigMaps whose data has key "forbidden". */
export const GOOD_POLICY = {
  'demo/no_forbidden/policy.rego': `package driftgate.demo.no_forbidden

import rego.v1

deny contains msg if {
	input.request.object.kind == "ConfigMap"
	input.request.object.data.forbidden
	msg := "key forbidden is not allowed"
}
`,
  'demo/no_forbidden/policy_test.rego': `package driftgate.demo.no_forbidden_test

import data.driftgate.demo.no_forbidden
import rego.v1

test_denies if count(no_forbidden.deny) == 1 with input as {"request": {"object": {"kind": "ConfigMap", "data": {"forbidden": "x"}}}}
`,
} as const;

/**
 * Gatekeeper's documented ExpansionTemplate `expand-deployments` (website/docs/expansion.md):
 * workloads judged as the Pod their `spec.template` makes. YAML.
 */
export function expandDeployments(
  kinds: readonly string[] = ['Deployment'],
  extra: Record<string, unknown> = {},
): string {
  return stringify({
    apiVersion: 'expansion.gatekeeper.sh/v1beta1',
    kind: 'ExpansionTemplate',
    metadata: { name: 'expand-deployments' },
    spec: {
      applyTo: [{ groups: ['apps'], kinds: [...kinds], versions: ['v1'] }],
      templateSource: 'spec.template',
      generatedGVK: { kind: 'Pod', group: '', version: 'v1' },
      ...extra,
    },
  });
}

/**
 * A ConstraintTemplate of `kind` (named as Gatekeeper requires: the kind in lower case) for the
 * admission target: `target` is its Rego (a string) or the rest of the target (e.g. `code`).
 * YAML.
 */
export function constraintTemplate(
  kind: string,
  target: string | Record<string, unknown>,
  parameters?: Record<string, unknown>,
): string {
  return stringify({
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name: kind.toLowerCase() },
    spec: {
      crd: {
        spec: {
          names: { kind },
          ...(parameters ? { validation: { openAPIV3Schema: parameters } } : {}),
        },
      },
      targets: [
        {
          target: 'admission.k8s.gatekeeper.sh',
          ...(typeof target === 'string' ? { rego: target } : target),
        },
      ],
    },
  });
}

/** A Gatekeeper Assign mutator on Pods: `value` at `location`. */
export const assignOnPods = (name: string, location: string, value: unknown): string =>
  stringify({
    apiVersion: 'mutations.gatekeeper.sh/v1',
    kind: 'Assign',
    metadata: { name },
    spec: {
      applyTo: [{ groups: [''], kinds: ['Pod'], versions: ['v1'] }],
      location,
      parameters: { assign: { value } },
    },
  });
