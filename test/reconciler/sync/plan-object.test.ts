import t from 'tap';
import { SOURCE_LABEL } from '../../../core/labels.js';
import type { Finding } from '../../../policies/engine/findings.js';
import { Action, planObject, writes, type ObjectPlanInput } from '../../../reconciler/sync/plan.js';
import { configMap } from '../../support/fake-cluster.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ours = { [SOURCE_LABEL]: 'shop' };
const declared = configMap('web', { mode: 'strict' }, { labels: ours });
const live = (data: Record<string, string>, meta: Parameters<typeof configMap>[2] = {}) =>
  configMap('web', data, { labels: ours, ...meta });
const glass = (expires: string) => ({
  labels: ours,
  annotations: { 'driftgate.io/break-glass': 'INC-1', 'driftgate.io/break-glass-expires': expires },
});
const enforce: Finding = { policy: 'config/no_debug', action: 'enforce', message: 'no debug' };
const warn: Finding = { policy: 'config/labels', action: 'warn', message: 'label it' };

const base: ObjectPlanInput = {
  declared,
  path: 'apps/web.yaml',
  live: undefined,
  appliedBefore: false,
  source: 'shop',
  ignore: [],
  now: NOW,
  fighting: false,
  suspended: false,
  gate: 'enforce',
  findings: [],
};

const cases: {
  name: string;
  given: Partial<ObjectPlanInput>;
  want: { action: Action; drift: string[]; findings: Finding[] };
}[] = [
  {
    name: 'absent live: create',
    given: {},
    want: {
      action: Action.create,
      drift: [''],
      findings: [],
    },
  },
  {
    name: 'a declared field differs: update',
    given: { live: live({ mode: 'debug' }), appliedBefore: true },
    want: { action: Action.update, drift: ['/data/mode'], findings: [] },
  },
  {
    // Status reports what the gate finds on every declared object (the sync memoises it).
    name: 'in sync: nothing written, and its findings still reported',
    given: { live: live({ mode: 'strict' }), appliedBefore: true, findings: [enforce] },
    want: { action: Action.none, drift: [], findings: [enforce] },
  },
  {
    name: 'exists unlabelled and never applied: foreign, not written',
    given: { live: configMap('web', { mode: 'x' }), findings: [enforce] },
    want: { action: Action.foreign, drift: [], findings: [] },
  },
  {
    name: 'another source owns it: foreign',
    given: {
      live: configMap('web', { mode: 'x' }, { labels: { [SOURCE_LABEL]: 'other' } }),
      findings: [enforce],
    },
    want: { action: Action.foreign, drift: [], findings: [] },
  },
  {
    name: 'in the inventory: ours even if the label was taken off',
    given: { live: configMap('web', { mode: 'x' }), appliedBefore: true },
    want: {
      action: Action.update,
      drift: ['/metadata/labels', '/data/mode'],
      findings: [],
    },
  },
  {
    name: 'an enforced violation holds it back',
    given: { live: live({ mode: 'debug' }), appliedBefore: true, findings: [enforce] },
    want: { action: Action.held, drift: ['/data/mode'], findings: [enforce] },
  },
  {
    name: 'gate warn: an enforce finding is reported, the object applied',
    given: {
      live: live({ mode: 'debug' }),
      appliedBefore: true,
      gate: 'warn',
      findings: [enforce],
    },
    want: { action: Action.update, drift: ['/data/mode'], findings: [enforce] },
  },
  {
    name: 'a warn finding never holds',
    given: { findings: [warn] },
    want: {
      action: Action.create,
      drift: [''],
      findings: [warn],
    },
  },
  {
    name: 'gate off: never asked',
    given: { gate: 'off', findings: [enforce] },
    want: {
      action: Action.create,
      drift: [''],
      findings: [],
    },
  },
  {
    name: 'suspended: drift reported, nothing written',
    given: { live: live({ mode: 'debug' }), appliedBefore: true, suspended: true },
    want: { action: Action.suspended, drift: ['/data/mode'], findings: [] },
  },
  {
    name: 'an unexpired break-glass leaves drift alone',
    given: { live: live({ mode: 'debug' }, glass('2026-11-30T13:00:00Z')), appliedBefore: true },
    want: { action: Action.breakGlass, drift: ['/data/mode'], findings: [] },
  },
  {
    name: 'an expired break-glass is reverted',
    given: { live: live({ mode: 'debug' }, glass('2026-11-30T11:00:00Z')), appliedBefore: true },
    want: { action: Action.update, drift: ['/data/mode'], findings: [] },
  },
  {
    name: 'a fight: no longer reverted',
    given: { live: live({ mode: 'debug' }), appliedBefore: true, fighting: true },
    want: { action: Action.fighting, drift: ['/data/mode'], findings: [] },
  },
  {
    name: 'ignored fields never drift',
    given: { live: live({ mode: 'debug' }), appliedBefore: true, ignore: ['/data/mode'] },
    want: { action: Action.none, drift: [], findings: [] },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const plan = planObject({ ...base, ...c.given });
    t.equal(plan.action, c.want.action);
    t.strictSame(
      plan.drift.map((d) => d.path),
      c.want.drift,
    );
    t.strictSame(plan.findings, c.want.findings);
    t.equal(plan.path, 'apps/web.yaml');
  });
}

t.test('a foreign plan says whose it is', async (t) => {
  const plan = planObject({
    ...base,
    live: configMap('web', {}, { labels: { [SOURCE_LABEL]: 'billing' } }),
  });
  t.equal(plan.reason, 'it exists and belongs to source billing');
});

t.test('a break-glass plan carries its reason and expiry', async (t) => {
  const plan = planObject({
    ...base,
    live: live({ mode: 'debug' }, glass('2026-11-30T13:00:00Z')),
    appliedBefore: true,
  });
  t.strictSame(plan.breakGlass, {
    reason: 'INC-1',
    expires: '2026-11-30T13:00:00.000Z',
    expiresMs: Date.parse('2026-11-30T13:00:00Z'),
  });
});

t.test('only create and update write', async (t) => {
  t.strictSame(Object.values(Action).filter(writes), ['create', 'update']);
});
