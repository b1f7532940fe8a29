import t from 'tap';
import type { PolicyOutcome } from '../../../policies/engine/outcome.js';
import { Enforcement, type PolicyMeta } from '../../../policies/engine/discover.js';
import {
  expandAll,
  readExpansion,
  type GkExpansion,
} from '../../../policies/engine/gatekeeper/expansion.js';
import { impliedOutcomes } from '../../../policies/engine/gatekeeper/implied.js';

// Gatekeeper's documented ExpansionTemplates (website/docs/expansion.md): workloads into Pods,
// and CronJobs into Jobs (so a CronJob is judged as a Job, and that Job as a Pod).
const doc = (
  name: string,
  applyTo: unknown[],
  source: string,
  kind: string,
  group = '',
  extra = {},
) => ({
  apiVersion: 'expansion.gatekeeper.sh/v1beta1',
  kind: 'ExpansionTemplate',
  metadata: { name },
  spec: { applyTo, templateSource: source, generatedGVK: { kind, group, version: 'v1' }, ...extra },
});
const read = (d: ReturnType<typeof doc>): GkExpansion => {
  const problems: string[] = [];
  const e = readExpansion(d, 'x.yaml', problems);
  if (!e) throw new Error(problems.join('; '));
  return e;
};
const pods = read(
  doc(
    'expand-deployments',
    [
      {
        groups: ['apps'],
        kinds: ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'],
        versions: ['v1'],
      },
      { groups: ['batch'], kinds: ['Job'], versions: ['v1'] },
    ],
    'spec.template',
    'Pod',
    '',
    { enforcementAction: 'warn' },
  ),
);
const jobs = read(
  doc(
    'expand-cronjobs',
    [{ groups: ['batch'], kinds: ['CronJob'], versions: ['v1'] }],
    'spec.jobTemplate',
    'Job',
    'batch',
  ),
);
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    },
  },
};

t.test(
  'a Deployment expands into the Pod its template describes, named as Gatekeeper names it',
  async (t) => {
    const [pod, ...rest] = expandAll(deployment, [pods, jobs]);
    t.same(rest, []);
    t.equal(pod?.template, 'expand-deployments');
    t.equal(pod?.enforcement, Enforcement.warn, "the template's enforcementAction");
    t.same(pod?.object, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        labels: { app: 'web' },
        name: 'web-pod',
        namespace: 'shop',
        // The parent's uid: empty before the apiserver gives it one, as in Gatekeeper.
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '' }],
      },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    t.same(
      expandAll({ ...deployment, apiVersion: 'apps/v1beta2' }, [pods]),
      [],
      'other versions not',
    );
    t.same(expandAll({ kind: 'ConfigMap', apiVersion: 'v1' }, [pods]), [], 'other kinds not');
  },
);

t.test('a CronJob expands into a Job, and that Job into a Pod', async (t) => {
  const cron = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'ops' },
    spec: {
      jobTemplate: {
        spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    },
  };
  const got = expandAll(cron, [pods, jobs]);
  t.same(
    got.map((e) => [e.template, e.object.kind, (e.object.metadata as { name: string }).name]),
    [
      ['expand-deployments', 'Pod', 'nightly-job-pod'],
      ['expand-cronjobs', 'Job', 'nightly-job'],
    ],
  );
});

t.test('an ExpansionTemplate missing what it needs is refused, naming it', async (t) => {
  const problems: string[] = [];
  t.equal(readExpansion(doc('bad', [], '', 'Pod'), 'e.yaml', problems), undefined);
  t.equal(
    readExpansion(
      doc(
        'worse',
        [{ groups: ['apps'], kinds: ['Deployment'], versions: ['v1'] }],
        'spec.template',
        'Pod',
        '',
        { enforcementAction: 'maybe' },
      ),
      'e.yaml',
      problems,
    ),
    undefined,
  );
  t.equal(problems.length, 2);
  t.match(problems[0], /^e\.yaml: ExpansionTemplate bad: needs a name, applyTo/);
});

t.test("a generated Pod's violations are said about the workload, by match.source", async (t) => {
  const policy = (id: string, source?: string): PolicyMeta => ({
    id,
    path: [],
    description: '',
    enforcement: Enforcement.enforce,
    parameters: {},
    gatekeeper: {
      kind: 'K8sDisallowedTags',
      template: 'k8sdisallowedtags',
      match: {
        kinds: [{ apiGroups: [''], kinds: ['Pod'] }],
        ...(source ? { source } : {}),
      } as never,
    },
  });
  const outcome = (p: PolicyMeta): PolicyOutcome => ({
    policy: p,
    ok: true,
    result: {
      deny: ['container <c> uses a disallowed tag'],
      warn: [],
      patch: [{ op: 'add', path: '/x', value: 1 }],
    },
  });
  const native: PolicyMeta = {
    id: 'images/disallow_latest',
    path: [],
    description: '',
    enforcement: Enforcement.enforce,
    parameters: {},
  };
  const [e] = expandAll(deployment, [pods]);
  if (!e) throw new Error('no expansion');
  const got = impliedOutcomes(
    [
      outcome(policy('all')),
      outcome(policy('generated', 'Generated')),
      outcome(policy('original', 'Original')),
      outcome(native),
    ],
    e,
  );
  t.same(
    got.map((o) => [
      o.policy.id,
      o.policy.enforcement,
      o.ok && o.result.deny,
      o.ok && o.result.patch,
    ]),
    [
      ['all', 'warn', ['[Implied by expand-deployments] container <c> uses a disallowed tag'], []],
      [
        'generated',
        'warn',
        ['[Implied by expand-deployments] container <c> uses a disallowed tag'],
        [],
      ],
    ],
    'Original-only constraints and driftgate’s own policies stay silent; the template’s action wins',
  );
});
