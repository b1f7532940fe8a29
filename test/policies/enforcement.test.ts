// One enforcement truth: the platform's actions and scopes, parsed once, compiled into the
// bundle's policy list, and the scope every reader (webhook, gate, audit, check) applies.
import t from 'tap';
import type { PolicyMeta } from '../../policies/engine/discover.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { enforcedPolicies } from '../../policies/engine/build.js';
import {
  applyEnforcement,
  mergeEnforcement,
  parseEnforcement,
  parseEnforcementFile,
} from '../../policies/engine/enforcement.js';
import { combineEnforcement } from '../../policies/engine/enforcement-sources.js';
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
    'policies.enforcementOverrides.a/b must be enforce, warn or dryrun, or { action, scope, parameters }',
    'unknown key policies.enforcementOverrides.c/d.scop (known: action, scope, parameters)',
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
    { kind: 'Pod', group: '', name: 'p', namespace: 'shop' },
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

t.test('enforcement.yaml: parsed, merged over the bootstrap, parameters key by key', async (t) => {
  const problems: string[] = [];
  const git = parseEnforcementFile(
    [
      'policies:',
      '  images/disallow_latest: enforce',
      '  pod_security/capabilities:',
      '    parameters: { exemptImages: ["istio/*"] }',
      '  resources/require_requests_limits: { action: enforce, bogus: 1 }',
    ].join('\n'),
    'enforcement.yaml',
    problems,
  );
  t.strictSame(problems, [
    'unknown key enforcement.yaml: policies.resources/require_requests_limits.bogus (known: action, scope, parameters)',
  ]);
  const merged = mergeEnforcement(
    {
      'images/disallow_latest': { action: 'warn', scope: { namespaces: ['prod'] } },
      'pod_security/capabilities': { parameters: { exemptImages: ['x'], other: 1 } },
    },
    git,
  );
  t.strictSame(merged['images/disallow_latest'], {
    action: 'enforce',
    scope: { namespaces: ['prod'] },
  });
  t.strictSame(merged['pod_security/capabilities'], {
    parameters: { exemptImages: ['istio/*'], other: 1 },
  });
  const [p] = applyEnforcement(
    [meta('pod_security/capabilities', { parameters: { a: 1 } })],
    merged,
  );
  t.strictSame(p?.parameters, { a: 1, exemptImages: ['istio/*'], other: 1 });

  const bad: string[] = [];
  parseEnforcementFile('- a list\n', 'e.yaml', bad);
  parseEnforcementFile('policies: {}\nextra: 1\n', 'e.yaml', bad);
  parseEnforcementFile('policies: [unclosed\n', 'e.yaml', bad);
  t.equal(bad.length, 3);
  t.match(bad, [
    'e.yaml must be a mapping with a policies key',
    'unknown key e.yaml: extra (known: policies)',
    /^e\.yaml: /,
  ]);
  t.strictSame(parseEnforcementFile('', 'e.yaml', []), {});
});

t.test('a tree with enforcement.yaml: laid over the bootstrap; unknown ids refused', async (t) => {
  const dir = t.testdir({
    naming: {
      no_tmp: {
        'policy.rego': 'package driftgate.naming.no_tmp\n',
        'policy.yaml': 'enforcement: enforce\nparameters: { prefix: tmp- }\n',
      },
    },
    'enforcement.yaml':
      'policies:\n  naming/no_tmp: { action: warn, parameters: { prefix: scratch- } }\n',
  });
  const [p] = enforcedPolicies(dir, {
    'naming/no_tmp': { action: 'dryrun', scope: { kinds: ['ConfigMap'] } },
  });
  t.strictSame(
    [p?.enforcement, p?.scope, p?.parameters],
    ['warn', { kinds: ['ConfigMap'] }, { prefix: 'scratch-' }],
  );
  writeFileSync(join(dir, 'enforcement.yaml'), 'policies:\n  naming/other: warn\n');
  t.throws(() => enforcedPolicies(dir), {
    name: 'PolicyLayoutError',
    problems: ['enforcement.yaml: naming/other is not a policy here'],
  });
});

t.test('sources: each names only what it carries, unless its enforcement is "all"', async (t) => {
  const files = (id: string, enforcement?: string) => ({
    [`${id}/policy.rego`]: `package driftgate.${id.replace('/', '.')}\n`,
    ...(enforcement ? { 'enforcement.yaml': enforcement } : {}),
  });
  const ok = combineEnforcement(
    new Map([
      ['team', { files: files('team/a', 'policies:\n  team/a: warn\n') }],
      [
        'platform',
        {
          files: files('plat/b', 'policies:\n  images/disallow_latest: enforce\n'),
          enforcement: 'all' as const,
        },
      ],
      ['quiet', { files: files('q/c') }],
    ]),
  );
  t.strictSame(ok.problems, []);
  t.strictSame(parse(ok.text ?? ''), {
    policies: { 'images/disallow_latest': { action: 'enforce' }, 'team/a': { action: 'warn' } },
  });
  t.strictSame(Object.keys(ok.files.get('team') ?? {}), ['team/a/policy.rego'], 'file taken out');

  const bad = combineEnforcement(
    new Map([
      ['team', { files: files('team/a', 'policies:\n  images/disallow_latest: dryrun\n') }],
      [
        'other',
        {
          files: files('o/d', 'policies:\n  images/disallow_latest: warn\n'),
          enforcement: 'all' as const,
        },
      ],
    ]),
  );
  t.strictSame(bad.problems, [
    'source team: enforcement.yaml names images/disallow_latest, which it does not carry (its enforcement is "own")',
    'source team: enforcement.yaml names images/disallow_latest, as source other does',
  ]);
  t.equal(bad.text, undefined, 'nothing merged');
  t.equal(combineEnforcement(new Map([['q', { files: files('q/c') }]])).text, undefined);
});
