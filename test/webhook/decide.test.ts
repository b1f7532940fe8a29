import t from 'tap';
import {
  decide,
  existingKey,
  existingViolations,
  MAX_REASONS,
  type DecideInput,
} from '../../webhook/decide.js';
import type { PolicyOutcome } from '../../policies/engine/outcome.js';
import type { Enforcement } from '../../policies/engine/discover.js';

const policy = (id: string, enforcement: Enforcement = 'enforce') => ({
  id,
  path: id.split('/'),
  description: '',
  enforcement,
  parameters: {},
});
const ok = (
  id: string,
  enforcement: Enforcement,
  r: { deny?: string[]; warn?: string[]; patch?: { op: 'add'; path: string; value: unknown }[] },
): PolicyOutcome => ({
  policy: policy(id, enforcement),
  ok: true,
  result: { deny: r.deny ?? [], warn: r.warn ?? [], patch: r.patch ?? [] },
});
const failed = (id: string, enforcement: Enforcement): PolicyOutcome => ({
  policy: policy(id, enforcement),
  ok: false,
  error: 'boom',
});

const table: { name: string; given: DecideInput; want: Record<string, unknown> }[] = [
  {
    name: 'no findings allow',
    given: { endpoint: 'validate', outcomes: [ok('a/b', 'enforce', {})] },
    want: { allowed: true, warnings: [], violations: [] },
  },
  {
    name: 'enforce deny denies with the policy id',
    given: { endpoint: 'validate', outcomes: [ok('a/b', 'enforce', { deny: ['bad image'] })] },
    want: {
      allowed: false,
      message: '[a/b] bad image',
      violations: [{ policy: 'a/b', action: 'enforce' }],
    },
  },
  {
    name: 'warn-mode deny becomes a warning',
    given: { endpoint: 'validate', outcomes: [ok('a/b', 'warn', { deny: ['bad image'] })] },
    want: {
      allowed: true,
      warnings: ['[a/b] bad image'],
      violations: [{ policy: 'a/b', action: 'warn' }],
    },
  },
  {
    name: 'dryrun only counts',
    given: {
      endpoint: 'validate',
      outcomes: [ok('a/b', 'dryrun', { deny: ['bad'], warn: ['meh'] })],
    },
    want: { allowed: true, warnings: [], violations: [{ policy: 'a/b', action: 'dryrun' }] },
  },
  {
    name: 'warn rules warn under enforce',
    given: { endpoint: 'validate', outcomes: [ok('a/b', 'enforce', { warn: ['deprecated api'] })] },
    want: { allowed: true, warnings: ['[a/b] deprecated api'] },
  },
  {
    name: 'evaluation error fails closed for enforce',
    given: { endpoint: 'validate', outcomes: [failed('a/b', 'enforce')] },
    want: { allowed: false, message: 'policy a/b could not be evaluated: boom', errors: ['a/b'] },
  },
  {
    name: 'evaluation error only warns for warn-mode',
    given: { endpoint: 'validate', outcomes: [failed('a/b', 'warn')] },
    want: { allowed: true, warnings: ['policy a/b could not be evaluated: boom'], errors: ['a/b'] },
  },
  {
    name: 'mutate returns patches parents first and never denies',
    given: {
      endpoint: 'mutate',
      outcomes: [
        ok('m/x', 'enforce', {
          deny: ['ignored here'],
          patch: [
            { op: 'add', path: '/metadata/labels/a', value: '1' },
            { op: 'add', path: '/metadata/labels', value: {} },
          ],
        }),
        failed('m/y', 'enforce'),
      ],
    },
    want: {
      allowed: true,
      warnings: [],
      patch: [
        { op: 'add', path: '/metadata/labels', value: {} },
        { op: 'add', path: '/metadata/labels/a', value: '1' },
      ],
    },
  },
  {
    name: 'dryrun mutations are not applied',
    given: {
      endpoint: 'mutate',
      outcomes: [
        ok('m/x', 'dryrun', { patch: [{ op: 'add', path: '/metadata/labels', value: {} }] }),
      ],
    },
    want: { allowed: true, patch: [] },
  },
  {
    name: 'validate ignores patches',
    given: {
      endpoint: 'validate',
      outcomes: [ok('m/x', 'enforce', { patch: [{ op: 'add', path: '/x', value: 1 }] })],
    },
    want: { allowed: true, patch: [] },
  },
];

for (const { name, given, want } of table) {
  t.test(name, async (t) => {
    const got = decide(given);
    t.match(got, want);
    // tap's match takes an empty array as "any array": a field that must be empty is checked exactly.
    for (const [key, value] of Object.entries(want))
      if (Array.isArray(value) && value.length === 0)
        t.same(got[key as keyof typeof got], [], `${key} is empty`);
  });
}

t.test('long denial lists are cut with a count', async (t) => {
  const many = Array.from({ length: MAX_REASONS + 3 }, (_, i) => `reason ${i}`);
  const d = decide({ endpoint: 'validate', outcomes: [ok('a/b', 'enforce', { deny: many })] });
  t.match(d.message, /reason 4 \(and 3 more\)$/);
  t.notMatch(d.message, /reason 5/);
});

t.test('denial messages: joined with "; ", counted only past the limit, no patch', async (t) => {
  const reasons = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
  const exactly = decide({
    endpoint: 'validate',
    outcomes: [ok('a/b', 'enforce', { deny: reasons(MAX_REASONS) })],
  });
  t.equal(exactly.message, '[a/b] r0; [a/b] r1; [a/b] r2; [a/b] r3; [a/b] r4');
  t.strictSame(exactly.patch, []);
  const over = decide({
    endpoint: 'validate',
    outcomes: [ok('a/b', 'enforce', { deny: reasons(MAX_REASONS + 1) })],
  });
  t.equal(over.message, '[a/b] r0; [a/b] r1; [a/b] r2; [a/b] r3; [a/b] r4 (and 1 more)');
});

t.test('mutate: patches go parents first, whatever order the policies give', async (t) => {
  const d = decide({
    endpoint: 'mutate',
    outcomes: [
      ok('a/deep', 'enforce', {
        patch: [{ op: 'add', path: '/metadata/labels/x', value: '1' }],
      }),
      ok('a/top', 'enforce', { patch: [{ op: 'add', path: '/metadata/labels', value: {} }] }),
    ],
  });
  t.strictSame(
    d.patch.map((p) => p.path),
    ['/metadata/labels', '/metadata/labels/x'],
  );
});

t.test('on update, violations the old object already had warn; new ones deny', async (t) => {
  const before = [ok('pods/probes', 'enforce', { deny: ['no probe on web', 'no probe on side'] })];
  const existing = existingViolations(before);
  t.strictSame(
    [...existing],
    [existingKey('pods/probes', 'no probe on web'), existingKey('pods/probes', 'no probe on side')],
  );
  const same = decide({ endpoint: 'validate', outcomes: before, existing });
  t.strictSame(same, {
    allowed: true,
    warnings: [
      '[pods/probes] existing violation, allowed on update: no probe on web',
      '[pods/probes] existing violation, allowed on update: no probe on side',
    ],
    patch: [],
    violations: [
      { policy: 'pods/probes', action: 'existing' },
      { policy: 'pods/probes', action: 'existing' },
    ],
    errors: [],
  });
  const worse = decide({
    endpoint: 'validate',
    outcomes: [ok('pods/probes', 'enforce', { deny: ['no probe on web', 'no probe on new'] })],
    existing,
  });
  t.equal(worse.allowed, false);
  t.equal(worse.message, '[pods/probes] no probe on new', 'only the new violation is the reason');
  const strict = {
    ...before[0],
    policy: { ...policy('pods/probes'), allowExistingViolations: false },
  } as PolicyOutcome;
  t.equal(
    decide({ endpoint: 'validate', outcomes: [strict], existing }).allowed,
    false,
    'a policy may opt out: every violation denies',
  );
});

t.test(
  "the gate's word: enforced findings warn, with the note, for a gate-warned write",
  async (t) => {
    const d = decide({
      endpoint: 'validate',
      outcomes: [ok('images/disallow_latest', 'enforce', { deny: ['pin a tag'] })],
      gateJudged: 'applied from Git by source "shop"',
    });
    t.strictSame(d, {
      allowed: true,
      warnings: ['[images/disallow_latest] pin a tag (applied from Git by source "shop")'],
      patch: [],
      violations: [{ policy: 'images/disallow_latest', action: 'warn' }],
      errors: [],
    });
  },
);
