import t from 'tap';
import { readFileSync } from 'node:fs';
import { undocumented, usage } from '../../core/schema/help.js';
import { ReconcilerConfigSchema } from '../../reconciler/config/schema.js';
import { GitSourceSpecSchema } from '../../reconciler/gitsource/schema.js';
import { generatedFiles } from '../../scripts/schema/generate.js';
import { ChartValuesSchema } from '../../scripts/schema/values.js';
import { WebhookConfigSchema } from '../../webhook/config-schema.js';

t.test(
  'the CRD and values.schema.json are what the schemas generate (npm run generate)',
  async (t) => {
    for (const [path, text] of Object.entries(generatedFiles()))
      t.equal(readFileSync(path, 'utf8'), text, `${path} is current`);
  },
);

t.test('every key of every configuration has a description', async (t) => {
  for (const [name, schema] of Object.entries({
    ReconcilerConfigSchema,
    WebhookConfigSchema,
    GitSourceSpecSchema,
    ChartValuesSchema,
  }))
    t.same(undocumented(schema), [], name);
});

t.test('--help is the schema: defaults and descriptions, nested keys indented', async (t) => {
  const help = usage(ReconcilerConfigSchema);
  t.match(help, /^ {2}statusPort \(8080\): status, control and push-hook API$/m);
  t.match(help, /^ {4}audit: periodic audit of existing objects$/m);
  t.match(help, /^ {6}interval \(5m\): 0 turns it off$/m);
  t.match(help, /^ {4}retry: backoff after transient errors$/m, 'list items show their keys');
  t.match(usage(WebhookConfigSchema), /^ {4}ipAddresses \(127\.0\.0\.1\): /m);
});
