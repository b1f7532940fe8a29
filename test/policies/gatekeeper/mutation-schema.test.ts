// Gatekeeper's mutation schema conflicts (pkg/mutation/schema): the node types a mutator's
// location implies, per group/version/kind; conflicting mutators are left out and said so, the
// rest run; a tenant never takes a platform mutator out.
import t from 'tap';
import {
  resolveConflicts,
  schemaConflicts,
} from '../../../policies/engine/gatekeeper/mutation-schema.js';
import { parseLocation } from '../../../policies/engine/gatekeeper/mutation-path.js';
import type { GkMutator } from '../../../policies/engine/gatekeeper/mutators.js';

const pods = [{ groups: [''], versions: ['v1'], kinds: ['Pod'] }];
const m = (
  kind: GkMutator['kind'],
  name: string,
  location: string,
  extra: Partial<GkMutator> = {},
): GkMutator => ({
  kind,
  name,
  applyTo: pods,
  location,
  path: parseLocation(location),
  parameters: {},
  file: `${name}.yaml`,
  ...extra,
});
const names = (ms: readonly GkMutator[]) => ms.map((x) => x.name);

const cases: { name: string; mutators: GkMutator[]; usable: string[]; conflicts: number }[] = [
  {
    name: 'a keyed list against an object at the same node',
    mutators: [
      m('Assign', 'a', 'spec.containers[name: foo].image'),
      m('Assign', 'b', 'spec.containers.image'),
      m('Assign', 'c', 'spec.hostNetwork'),
    ],
    usable: ['c'],
    conflicts: 1,
  },
  {
    name: 'the same list keyed by two fields',
    mutators: [
      m('Assign', 'a', 'spec.containers[name: *].imagePullPolicy'),
      m('Assign', 'b', 'spec.containers[image: nginx].imagePullPolicy'),
    ],
    usable: [],
    conflicts: 1,
  },
  {
    name: 'the same shapes agree, whatever the key values',
    mutators: [
      m('Assign', 'a', 'spec.containers[name: *].imagePullPolicy'),
      m('Assign', 'b', 'spec.containers[name: sidecar].securityContext.privileged'),
      m('ModifySet', 'c', 'spec.containers[name: *].args'),
      m('AssignImage', 'd', 'spec.containers[name: *].image'),
    ],
    usable: ['a', 'b', 'c', 'd'],
    conflicts: 0,
  },
  {
    name: 'a set against a keyed list',
    mutators: [
      m('ModifySet', 'a', 'spec.containers[name: *].args'),
      m('Assign', 'b', 'spec.containers[name: *].args[name: x]'),
    ],
    usable: [],
    conflicts: 1,
  },
  {
    name: 'past where AssignImage must end: a string is no object either',
    mutators: [
      m('AssignImage', 'a', 'spec.containers[name: *].image'),
      m('Assign', 'b', 'spec.containers[name: *].image.tag'),
    ],
    usable: [],
    conflicts: 2,
  },
  {
    name: 'past where an Assign of external data must end',
    mutators: [
      m('Assign', 'a', 'spec.containers[name: *]', {
        parameters: { assign: { externalData: { provider: 'p' } } },
      }),
      m('Assign', 'b', 'spec.containers[name: *].image'),
    ],
    usable: [],
    conflicts: 1,
  },
  {
    name: 'different kinds never conflict; AssignMetadata never does',
    mutators: [
      m('Assign', 'a', 'spec.template.spec.containers[name: *].image', {
        applyTo: [{ groups: ['apps'], versions: ['v1'], kinds: ['Deployment'] }],
      }),
      m('Assign', 'b', 'spec.template.spec.containers.image'),
      m('AssignMetadata', 'c', 'metadata.labels.team'),
    ],
    usable: ['a', 'b', 'c'],
    conflicts: 0,
  },
  {
    name: 'three at one node: every one that disagrees is out',
    mutators: [
      m('Assign', 'a', 'spec.volumes.x'),
      m('Assign', 'b', 'spec.volumes[name: v].x'),
      m('Assign', 'c', 'spec.volumes.y'),
      m('Assign', 'd', 'spec.dnsPolicy'),
    ],
    usable: ['d'],
    conflicts: 2,
  },
];

for (const c of cases)
  t.test(c.name, async (t) => {
    const r = schemaConflicts(c.mutators);
    t.same(names(r.usable), c.usable);
    t.equal(r.conflicts.length, c.conflicts, r.conflicts.join('\n'));
  });

t.test('the message names both mutators, the kind, the node and the two types', async (t) => {
  const r = schemaConflicts([
    m('Assign', 'a', 'spec.containers[name: foo].image'),
    m('Assign', 'b', 'spec.containers.image'),
  ]);
  t.same(r.conflicts, [
    'Assign a and Assign b conflict on /v1/Pod at spec.containers: a list keyed by name against an object',
  ]);
});

t.test('a tenant never takes a platform mutator out', async (t) => {
  const tenant = { source: 'team-a.shop', namespaces: ['shop'] };
  const r = resolveConflicts([
    m('Assign', 'platform', 'spec.containers[name: *].imagePullPolicy'),
    m('Assign', 'tenant-bad', 'spec.containers.imagePullPolicy', { tenant }),
    m('Assign', 'tenant-ok', 'spec.priorityClassName', { tenant }),
  ]);
  t.same(names(r.usable), ['platform', 'tenant-ok']);
  t.match(r.conflicts, [/Assign platform and Assign tenant-bad conflict/]);
});
