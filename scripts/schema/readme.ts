// The chart's README, generated from its values schema and values.yaml (npm run generate): every
// key with its type, default and description, so the page cannot drift from the chart. Pure.
import { parse } from 'yaml';

interface Node {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Node>>;
  readonly items?: Node;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly Node[];
  readonly const?: unknown;
}

const typeOf = (n: Node): string => {
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (n.anyOf) {
    const consts = n.anyOf.filter((a) => a.const !== undefined);
    if (consts.length === n.anyOf.length)
      return consts.map((a) => JSON.stringify(a.const)).join(' | ');
    return n.anyOf.map(typeOf).join(' | ');
  }
  if (Array.isArray(n.type)) return n.type.join(' | ');
  if (n.type === 'array') return `${n.items ? typeOf(n.items) : 'any'}[]`;
  return (n.type as string | undefined) ?? 'any';
};

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function valueAt(values: unknown, path: readonly string[]): unknown {
  let v = values;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const shown = (v: unknown): string => {
  if (v === undefined) return '';
  const text = JSON.stringify(v);
  return `\`${cell(text.length > 60 ? `${text.slice(0, 57)}…` : text)}\``;
};

/** One table row per key, depth first; a section's own row, then its keys. */
function rows(n: Node, values: unknown, path: string[] = []): string[] {
  const out: string[] = [];
  for (const [k, child] of Object.entries(n.properties ?? {})) {
    const p = [...path, k];
    const leaf = !child.properties || Object.keys(child.properties).length === 0;
    out.push(
      `| \`${p.join('.')}\` | ${cell(typeOf(child))} | ${leaf ? shown(valueAt(values, p)) : ''} | ${cell(child.description ?? '')} |`,
    );
    if (!leaf) out.push(...rows(child, values, p));
  }
  return out;
}

export function chartReadme(schema: unknown, valuesYaml: string, chartYaml: string): string {
  const chart = parse(chartYaml) as {
    name: string;
    description: string;
    version: string;
    appVersion: string;
  };
  const values = parse(valuesYaml) as unknown;
  return `<!-- Generated from scripts/schema/values.ts, values.yaml and Chart.yaml by npm run generate: do not edit. -->
# ${chart.name} Helm chart

${chart.description}

Chart ${chart.version}, driftgate ${chart.appVersion}.

## Install

\`\`\`sh
helm install driftgate oci://<registry>/charts/driftgate --version ${chart.version} \\
  --namespace driftgate-system --create-namespace
kubectl -n driftgate-system rollout status deploy
\`\`\`

Verify the chart and the image before installing (\`cosign verify --key driftgate.pub …\`): the
project README's *Install* section gives the commands.

## Upgrade, roll back, uninstall

- \`helm upgrade\` updates the GitSource CustomResourceDefinition too: it is a template
  (\`templates/crds.yaml\`), not a file in \`crds/\`, which Helm installs once and never upgrades.
- With \`crds.keep: true\` (the default) the CRD carries \`helm.sh/resource-policy: keep\`:
  \`helm uninstall\` and \`helm rollback\` never delete it, so no GitSource is lost with the
  release. Delete it by hand (\`kubectl delete crd gitsources.driftgate.io\`) to remove them.
- Upgrading from 0.1.x, whose CRD came from \`crds/\`: let the release adopt it once, then upgrade:

  \`\`\`sh
  kubectl annotate crd gitsources.driftgate.io meta.helm.sh/release-name=driftgate \\
    meta.helm.sh/release-namespace=driftgate-system --overwrite
  kubectl label crd gitsources.driftgate.io app.kubernetes.io/managed-by=Helm --overwrite
  helm upgrade driftgate oci://<registry>/charts/driftgate --version ${chart.version} \\
    --namespace driftgate-system --reset-then-reuse-values
  \`\`\`

  \`--reset-then-reuse-values\` keeps the values you set and gives the keys new in this version
  their defaults (\`--reuse-values\` would leave them unset).

## Values

Every key, as \`values.schema.json\` checks it (unknown keys are refused).

| Key | Type | Default | Description |
| --- | --- | --- | --- |
${rows(schema as Node, values).join('\n')}
`;
}
