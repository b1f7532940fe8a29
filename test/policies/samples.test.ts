import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildBundle } from '../../policies/engine/build.js';
import { loadBundle } from '../../policies/engine/bundle.js';
import { decide } from '../../webhook/decide.js';
import { toolPath } from '../support/tools.js';

// Every samples/allowed|disallowed manifest of the built-in library, through the real
// `opa build -t wasm` output and opa-wasm, then through decide() as the webhook would.
const root = join(import.meta.dirname, '..', '..', 'policies');
const bundle = await loadBundle(await buildBundle(root, { opaPath: toolPath('opa') }));

function request(obj: Record<string, unknown>) {
  const meta = obj.metadata as { name: string; namespace?: string };
  const [group, version] = String(obj.apiVersion).includes('/')
    ? String(obj.apiVersion).split('/')
    : ['', obj.apiVersion];
  return {
    // Samples stand for manifests declared in Git, so they are evaluated as Git-managed.
    driftgate: { managed: true, namespaceManaged: true },
    request: {
      uid: 'sample',
      operation: 'CREATE',
      kind: { group, version, kind: obj.kind },
      name: meta.name,
      namespace: meta.namespace,
      object: obj,
      userInfo: { username: 'sample' },
    },
  };
}

t.equal(bundle.policies.length, 28, 'the whole library is built');
for (const policy of bundle.policies) {
  t.test(policy.id, async (t) => {
    const mutating = policy.id === 'labels/default_labels';
    for (const expect of ['allowed', 'disallowed'] as const) {
      const dir = join(root, ...policy.path, 'samples', expect);
      t.ok(existsSync(dir) && readdirSync(dir).length > 0, `${policy.id} has ${expect} samples`);
      for (const file of existsSync(dir) ? readdirSync(dir) : []) {
        const outcome = bundle
          .evaluate(request(parse(readFileSync(join(dir, file), 'utf8'))))
          .find((o) => o.policy.id === policy.id);
        if (!outcome?.ok) {
          t.fail(
            `${file}: evaluation failed: ${outcome && !outcome.ok ? outcome.error : 'no outcome'}`,
          );
          continue;
        }
        const alone = {
          outcomes: [{ ...outcome, policy: { ...policy, enforcement: 'enforce' as const } }],
        };
        if (mutating) {
          const patch = decide({ endpoint: 'mutate', ...alone }).patch;
          t.equal(
            patch.length > 0,
            expect === 'disallowed',
            `${expect}/${file}: ${expect === 'disallowed' ? 'patched' : 'left alone'}`,
          );
        } else {
          const d = decide({ endpoint: 'validate', ...alone });
          t.equal(d.allowed, expect === 'allowed', `${expect}/${file}: ${d.message ?? 'allowed'}`);
        }
      }
    }
  });
}
