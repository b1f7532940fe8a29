import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { hostContext, ingressRefs } from '../../core/ingress-hosts.js';
import { buildBundle } from '../../policies/engine/build.js';
import { loadBundle } from '../../policies/engine/bundle.js';
import { decide } from '../../webhook/decide.js';
import { toolPath } from '../support/tools.js';

// Every samples/allowed|disallowed manifest of the built-in library, through the real
// `opa build -t wasm` output and opa-wasm, then through decide() as the webhook would.
const root = join(import.meta.dirname, '..', '..', 'policies');
const bundle = await loadBundle(await buildBundle(root, { opaPath: toolPath('opa') }));

function request(obj: Record<string, unknown>, folder: readonly Record<string, unknown>[]) {
  const meta = obj.metadata as { name: string; namespace?: string };
  const [group, version] = String(obj.apiVersion).includes('/')
    ? String(obj.apiVersion).split('/')
    : ['', obj.apiVersion];
  return {
    // Samples stand for manifests declared in Git, so they are evaluated as Git-managed.
    // The manifests of one sample file are declared together (an Ingress host two of them route).
    driftgate: {
      managed: true,
      namespaceManaged: true,
      ...hostContext(obj, [ingressRefs(folder)]),
    },
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

t.equal(bundle.policies.length, 29, 'the whole library is built');
for (const policy of bundle.policies) {
  t.test(policy.id, async (t) => {
    const mutating = policy.id === 'labels/default_labels';
    for (const expect of ['allowed', 'disallowed'] as const) {
      const dir = join(root, ...policy.path, 'samples', expect);
      t.ok(existsSync(dir) && readdirSync(dir).length > 0, `${policy.id} has ${expect} samples`);
      for (const file of existsSync(dir) ? readdirSync(dir) : []) {
        const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map(
          (d) => d.toJS() as Record<string, unknown>,
        );
        // A file of several manifests is allowed when each is, disallowed when any is denied.
        const outcomes = docs.map((doc) =>
          bundle.evaluate(request(doc, docs)).find((o) => o.policy.id === policy.id),
        );
        const failed = outcomes.find((o) => !o?.ok);
        if (failed || outcomes.length === 0) {
          t.fail(
            `${file}: evaluation failed: ${failed && !failed.ok ? failed.error : 'no outcome'}`,
          );
          continue;
        }
        const verdicts = outcomes.flatMap((outcome) => {
          if (!outcome?.ok) return [];
          const alone = {
            outcomes: [{ ...outcome, policy: { ...policy, enforcement: 'enforce' as const } }],
          };
          return mutating
            ? [{ flagged: decide({ endpoint: 'mutate', ...alone }).patch.length > 0 }]
            : [
                {
                  flagged: !decide({ endpoint: 'validate', ...alone }).allowed,
                  message: decide({ endpoint: 'validate', ...alone }).message,
                },
              ];
        });
        const flagged = verdicts.filter((v) => v.flagged);
        t.equal(
          flagged.length > 0,
          expect === 'disallowed',
          `${expect}/${file}: ${flagged.map((v) => ('message' in v ? v.message : 'patched')).join('; ') || 'allowed'}`,
        );
      }
    }
  });
}
