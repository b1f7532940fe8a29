import t from 'tap';
import {
  gatekeeperDocuments,
  lenientDocuments,
} from '../../../policies/engine/gatekeeper/yaml-compat.js';

// Go's YAML parser (Gatekeeper's) takes a double-quoted scalar continued at its key's
// indentation; YAML 1.2 does not. Such a Gatekeeper file is read as Go reads it, bounded.
const GO_ONLY = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: x
spec:
  description: "When set to true the TLS is optional, defaults
  to false."
`;

t.test('a file only Go reads: read as Go reads it', async (t) => {
  const problems: string[] = [];
  const [doc] = gatekeeperDocuments('t.yaml', GO_ONLY, problems);
  t.same(problems, []);
  t.same((doc as { spec: unknown }).spec, {
    description: 'When set to true the TLS is optional, defaults to false.',
  });
});

t.test('what neither reads is a problem for a Gatekeeper file, silence for others', async (t) => {
  const problems: string[] = [];
  const broken = 'apiVersion: templates.gatekeeper.sh/v1\nkind: [unclosed\n';
  t.same(gatekeeperDocuments('t.yaml', broken, problems), []);
  t.match(problems, [/^t\.yaml: not valid YAML: /]);
  const other: string[] = [];
  t.same(gatekeeperDocuments('sample.yaml', 'kind: [unclosed\n', other), []);
  t.same(other, [], 'a sample that is not Gatekeeper’s says nothing');
});

t.test('the lenient reading is bounded: no anchors, no large files', async (t) => {
  const bomb = `${GO_ONLY}a: &a ["x", "x"]\nb: [*a, *a]\n`;
  t.equal(lenientDocuments(bomb), undefined, 'an anchor: not read leniently');
  t.equal(lenientDocuments(GO_ONLY + `# ${'x'.repeat(1024 * 1024)}\n`), undefined, 'over 1 MiB');
  t.ok(lenientDocuments(GO_ONLY), 'the same file without either is read');
  t.equal(lenientDocuments('a: "unclosed\n'), undefined, 'what Go refuses too stays refused');
});
