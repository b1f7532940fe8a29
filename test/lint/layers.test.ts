// The reconciler's layers hold by lint (issue 28): a probe import that breaks one is refused by
// the project's own ESLint config; the same import where the layers allow it passes.
import t from 'tap';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const lint = async (filePath: string, code: string): Promise<string[]> => {
  const [r] = await eslint.lintText(code, { filePath });
  return (r?.messages ?? []).map((m) => m.message);
};
const probe = (spec: string) => `import * as probe from '${spec}';\nexport const p = probe;\n`;

t.test('a lower layer importing a higher one is refused', async (t) => {
  t.match(await lint('reconciler/config/probe.ts', probe('../policy/hub.js')), [
    /config\/ is a leaf/,
  ]);
  t.match(await lint('reconciler/policy/probe.ts', probe('../sync/apply.js')), [
    /policy\/ sits below the sync/,
  ]);
  t.match(await lint('reconciler/sync/probe.ts', probe('../runtime.js')), [
    /sync\/ sits below the runtime/,
  ]);
  t.match(await lint('reconciler/gitsource/probe.ts', probe('../server/server.js')), [
    /only main.ts composes the status server/,
  ]);
  t.match(await lint('reconciler/model/probe.ts', probe('../sync/errors.js')), [
    /model\/ is the bottom layer/,
  ]);
  t.match(await lint('reconciler/model/probe.ts', probe('../metrics.js')), [
    /model\/ is the bottom layer/,
  ]);
  t.match(await lint('webhook/probe.ts', probe('../reconciler/objects.js')), [
    /webhook\/ shares with reconciler\/ only through core\//,
  ]);
});

t.test('the direction the layers allow passes', async (t) => {
  t.same(await lint('reconciler/sync/probe.ts', probe('../policy/hub.js')), []);
  t.same(await lint('reconciler/main.ts', probe('./server/server.js')), []);
  t.same(await lint('reconciler/policy/probe.ts', probe('../config/config.js')), []);
  t.same(await lint('reconciler/model/probe.ts', probe('./objects.js')), []);
  t.same(await lint('reconciler/model/probe.ts', probe('../../core/diff.js')), []);
});

t.test('no re-export shims in product code', async (t) => {
  t.match(await lint('reconciler/probe.ts', "export { refKey } from './objects.js';\n"), [
    /no re-exports/,
  ]);
  t.match(await lint('core/probe.ts', "export * from './object.js';\n"), [/no re-exports/]);
});

t.test('kube/ is the adapter under every stage', async (t) => {
  t.match(await lint('reconciler/kube/probe.ts', probe('../sync/apply.js')), [
    /kube\/ is the Kubernetes adapter/,
  ]);
  t.same(await lint('reconciler/kube/probe.ts', probe('../model/objects.js')), []);
});

t.test('one X.509 stack: node-forge stays out of product code', async (t) => {
  t.match(await lint('webhook/tls/probe.ts', probe('node-forge')), [/one X.509 stack/]);
  t.same(await lint('test/support/probe.ts', probe('node-forge')), []);
});
