// One enforcement truth: the platform's actions and scopes, parsed once, compiled into the
// bundle's policy list, and the scope every reader (webhook, gate, audit, check) applies.
import t from 'tap';
import type { PolicyMeta } from '../../policies/engine/discover.js';
import { applyEnforcement, parseEnforcement } from '../../policies/engine/enforcement.js';
import { findings } from '../../policies/engine/findings.js';
import { inScope, targetOf } from '../../policies/engine/scope.js';

const meta = (id: string, extra: Partial<PolicyMeta> = {}): PolicyMeta => ({
  id,
  path: id.split('/'),
  description: '',
  enforcement: 'enforce',
  parameters: {},
  ...extra,
});

t.test('parse: a bare action, or { action, scope }; every problem named', async (t) => {
  const problems: string[] = [];
  const cfg = parseEnforcement(
    {
      'images/disallow_latest': 'warn',
      'probes/require_probes': {
        action: 'enforce',
        scope: {
          excludedNamespaces: ['sandbox'],
          objectSelector: { matchLabels: { tier: 'web' } },
        },
      },
      'a/b': 'maybe',
      'c/d': { action: 'warn', scop: {} },
      'e/f': { scope: { namespace: ['x'], kinds: 'Pod' } },
    },
    'policies.enforcementOverrides',
    problems,
  );
  t.strictSame(cfg['images/disallow_latest'], { action: 'warn' });
  t.strictSame(cfg['probes/require_probes'], {
    action: 'enforce',
    scope: { excludedNamespaces: ['sandbox'], objectSelector: { matchLabels: { tier: 'web' } } },
  });
  t.strictSame(problems, [
    'policies.enforcementOverrides.a/b must be enforce, warn or dryrun, or { action, scope }',
    'unknown key policies.enforcementOverrides.c/d.scop (known: action, scope)',
    'unknown key policies.enforcementOverrides.e/f.scope.namespace (known: namespaces, excludedNamespaces, kinds, objectSelector)',
    'policies.enforcementOverrides.e/f.scope.kinds must be a list of names',
  ]);
});

t.test('applied over the policies: the platform wins, others untouched', async (t) => {
  const out = applyEnforcement(
    [meta('a/b'), meta('c/d', { enforcement: 'warn', scope: { kinds: ['Pod'] } })],
    {
      'a/b': { action: 'dryrun' },
      'c/d': { scope: { namespaces: ['prod'] } },
      'x/y': { action: 'warn' },
    },
  );
  t.strictSame(
    out.map((p) => [p.id, p.enforcement, p.scope]),
    [
      ['a/b', 'dryrun', undefined],
      ['c/d', 'warn', { namespaces: ['prod'] }],
    ],
  );
});

t.test('scope: namespaces, excluded namespaces, kinds, object labels', async (t) => {
  const p = meta('a/b', {
    scope: {
      namespaces: ['prod', 'stage'],
      excludedNamespaces: ['stage'],
      kinds: ['Deployment'],
      objectSelector: { matchLabels: { tier: 'web' } },
    },
  });
  const deploy = (ns: string, labels: Record<string, string> = { tier: 'web' }) =>
    targetOf({ kind: 'Deployment', metadata: { namespace: ns, labels } });
  t.ok(inScope(p, deploy('prod')));
  t.notOk(inScope(p, deploy('dev')), 'not a listed namespace');
  t.notOk(inScope(p, deploy('stage')), 'excluded wins');
  t.notOk(inScope(p, deploy('prod', { tier: 'db' })), 'labels must match');
  t.notOk(inScope(p, targetOf({ kind: 'Pod', metadata: { namespace: 'prod' } })), 'kind');
  t.ok(inScope(meta('x/y'), deploy('anywhere')), 'no scope: everywhere');
  t.strictSame(
    targetOf({ kind: 'Pod', metadata: { name: 'p' } }, 'shop'),
    { kind: 'Pod', namespace: 'shop' },
    "the request's namespace when the object has none",
  );
});

t.test('findings leave out policies scoped away from the object', async (t) => {
  const outcomes = [
    {
      policy: meta('a/b', { scope: { excludedNamespaces: ['sandbox'] } }),
      ok: true as const,
      result: { deny: ['no'], warn: [], patch: [] },
    },
  ];
  t.strictSame(findings(outcomes, { kind: 'Pod', metadata: { namespace: 'shop' } }), [
    { policy: 'a/b', action: 'enforce', message: 'no' },
  ]);
  t.strictSame(findings(outcomes, { kind: 'Pod', metadata: { namespace: 'sandbox' } }), []);
});
