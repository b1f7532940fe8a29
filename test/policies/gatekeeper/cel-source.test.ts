// What a K8sNativeValidation source says besides its validations, as Gatekeeper's driver reads it:
// `matchCondition` (any false skips the template), `failurePolicy` (an evaluation error denies
// under Fail, the default, and passes under Ignore), reserved names, and `object` unset on DELETE.
import t from 'tap';
import { celDecision, celViolations, readCel } from '../../../policies/engine/gatekeeper/cel.js';

const read = (source: Record<string, unknown>) => {
  const problems: string[] = [];
  const cel = readCel({ code: [{ engine: 'K8sNativeValidation', source }] }, 'template', problems);
  return { cel, problems };
};
const pod = (labels?: Record<string, string>) => ({
  operation: 'CREATE',
  object: { kind: 'Pod', metadata: { name: 'web', ...(labels ? { labels } : {}) }, spec: {} },
});

t.test('a false match condition skips the template; an erring one denies under Fail', async (t) => {
  const { cel, problems } = read({
    matchCondition: [
      { name: 'labelled', expression: 'has(object.metadata.labels)' },
      {
        name: 'not-system',
        expression: "object.metadata.?labels[?'tier'].orValue('') != 'system'",
      },
    ],
    validations: [{ expression: 'false', message: 'denied' }],
  });
  t.same(problems, []);
  if (!cel) return;
  t.same(celDecision(cel, pod(), {}), { matched: false, violations: [] });
  t.same(celDecision(cel, pod({ tier: 'system' }), {}), { matched: false, violations: [] });
  t.same(celDecision(cel, pod({ tier: 'web' }), {}), {
    matched: true,
    violations: [{ msg: 'denied' }],
  });
  const erring = read({
    matchCondition: [{ name: 'reads-missing', expression: 'object.spec.replicas > 1' }],
    validations: [{ expression: 'false', message: 'denied' }],
  }).cel;
  if (!erring) return;
  t.same(celViolations(erring, pod(), {}), [
    { msg: "[expression 'object.spec.replicas > 1' resulted in error: no such key: replicas]" },
  ]);
  const ignoring = read({
    matchCondition: [{ name: 'reads-missing', expression: 'object.spec.replicas > 1' }],
    validations: [{ expression: 'false', message: 'denied' }],
    failurePolicy: 'Ignore',
  }).cel;
  if (!ignoring) return;
  t.same(celDecision(ignoring, pod(), {}), { matched: false, violations: [] });
});

t.test('a validation that errs denies under Fail and passes under Ignore', async (t) => {
  const validations = [
    { expression: 'object.spec.replicas > 1' },
    { expression: "object.metadata.name != 'web'", message: 'web is taken' },
  ];
  const fail = read({ validations }).cel;
  const ignore = read({ validations, failurePolicy: 'Ignore' }).cel;
  if (!fail || !ignore) return;
  t.same(celViolations(fail, pod(), {}), [
    { msg: "expression 'object.spec.replicas > 1' resulted in error: no such key: replicas" },
    { msg: 'web is taken' },
  ]);
  t.same(celViolations(ignore, pod(), {}), [{ msg: 'web is taken' }], 'a false one still denies');
});

t.test('matchConditions (plural) is not Gatekeeper’s key, and is not read', async (t) => {
  const { cel } = read({
    matchConditions: [{ name: 'never', expression: 'false' }],
    validations: [{ expression: 'false', message: 'denied' }],
  });
  if (!cel) return;
  t.same(celViolations(cel, pod(), {}), [{ msg: 'denied' }]);
});

t.test('reserved names and an unknown failure policy are refused when read', async (t) => {
  const { problems } = read({
    variables: [
      { name: 'params', expression: '1' },
      { name: 'anyObject', expression: '1' },
      { name: 'gatekeeper_internal_x', expression: '1' },
      { name: 'mine', expression: '1' },
    ],
    matchCondition: [{ name: 'gatekeeper_internal_y', expression: 'true' }],
    validations: [{ expression: 'true' }],
    failurePolicy: 'Sometimes',
  });
  t.same(problems, [
    'template: match condition gatekeeper_internal_y: the prefix gatekeeper_internal_ is reserved',
    'template: variable params: a reserved name',
    'template: variable anyObject: a reserved name',
    'template: variable gatekeeper_internal_x: a reserved name',
    'template: unrecognized failure policy: Sometimes',
  ]);
});

t.test('on DELETE, object is null and variables.anyObject is the old object', async (t) => {
  const { cel } = read({
    validations: [
      { expression: 'object == null', message: 'object is set' },
      { expression: "variables.anyObject.metadata.name == 'web'", message: 'anyObject is not web' },
      { expression: 'request.object == null', message: 'request.object is set' },
    ],
  });
  if (!cel) return;
  const old = pod().object;
  // The review as the webhook builds it for Rego, with the old object as `object`.
  const review = { operation: 'DELETE', object: old, oldObject: old };
  t.same(celViolations(cel, review, {}), []);
});
