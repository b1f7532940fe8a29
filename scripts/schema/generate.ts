// Writes the files generated from the schemas (npm run generate); test/schema/generated.test.ts
// fails when one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { toJsonSchema } from '../../core/schema/export.js';
import { gitSourceCrd } from './crd.js';
import { ChartValuesSchema } from './values.js';
import { chartReadme } from './readme.js';

const HEADER = `# Generated from reconciler/gitsource/schema.ts by npm run generate: do not edit.
# A Git repository driftgate verifies, renders and keeps applied: the Kubernetes API of the
# reconciler (kubectl get gitsources -A). templates/crds.yaml installs it, so helm upgrade
# updates it too (a chart's crds/ folder is never upgraded).
`;

/** Path (from the repository root) → generated text. Pure. */
export function generatedFiles(): Record<string, string> {
  return {
    'charts/driftgate/files/gitsources.driftgate.io.yaml':
      HEADER + stringify(gitSourceCrd(), { lineWidth: 0 }),
    'charts/driftgate/values.schema.json':
      JSON.stringify(
        {
          $schema: 'https://json-schema.org/draft-07/schema#',
          ...toJsonSchema(ChartValuesSchema),
        },
        null,
        2,
      ) + '\n',
    'charts/driftgate/README.md': chartReadme(
      ChartValuesSchema,
      readFileSync('charts/driftgate/values.yaml', 'utf8'),
      readFileSync('charts/driftgate/Chart.yaml', 'utf8'),
    ),
  };
}

if (process.argv[1]?.endsWith('generate.ts')) {
  for (const [path, text] of Object.entries(generatedFiles())) {
    const old = (() => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    })();
    if (old === text) continue;
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
