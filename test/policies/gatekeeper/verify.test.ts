// check --suites sets aside only the template a build names: the rest are built together once
// more (not each alone), and their suites run.
import t from 'tap';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { verifySuites } from '../../../policies/engine/gatekeeper/verify.js';
import { toolPath } from '../../support/tools.js';

const library = join(import.meta.dirname, '..', '..', 'fixtures', 'public', 'gatekeeper-library');

t.test('a template that does not compile is named alone; the others still run', async (t) => {
  const root = t.testdir({});
  for (const name of ['requiredlabels', 'allowedrepos'])
    cpSync(join(library, 'library/general', name), join(root, name), { recursive: true });
  mkdirSync(join(root, 'broken'));
  writeFileSync(
    join(root, 'broken/template.yaml'),
    stringify({
      apiVersion: 'templates.gatekeeper.sh/v1',
      kind: 'ConstraintTemplate',
      metadata: { name: 'k8sbroken' },
      spec: {
        crd: { spec: { names: { kind: 'K8sBroken' } } },
        targets: [
          {
            target: 'admission.k8s.gatekeeper.sh',
            rego: 'package k8sbroken\n\nviolation[{"msg": "x"}] {\n  no.such_builtin(input.review.object)\n}\n',
          },
        ],
      },
    }),
  );
  const report = await verifySuites(root, { opaPath: toolPath('opa') });
  t.same([...report.unsupported.keys()], ['broken/template.yaml']);
  t.match(report.unsupported.get('broken/template.yaml'), /no\.such_builtin/);
  const ran = report.results.filter((r) => r.unsupported === undefined && !r.skipped);
  t.ok(ran.length >= 10, `${ran.length} cases of the two good templates ran`);
  t.ok(
    ran.every((r) => r.ok),
    'and passed',
  );
});
