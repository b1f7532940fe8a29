import t from 'tap';
import type { PolicyMeta } from '../../../policies/engine/discover.js';
import { AuditBudget } from '../../../reconciler/policy/audit-budget.js';

// What each tenant's policies may cost one audit run (issue 26 finding 5): pure, times given.
const policy = (id: string, tenant?: { source: string; namespaces: string[] }): PolicyMeta => ({
  id,
  path: id.split('/'),
  description: '',
  enforcement: 'enforce',
  parameters: {},
  ...(tenant ? { tenant } : {}),
});
const policies = [
  policy('platform/labels'),
  policy('a/one', { source: 'team-a.p', namespaces: ['a', 'shared'] }),
  policy('a/two', { source: 'team-a.p', namespaces: ['a'] }),
  policy('b/one', { source: 'team-b.p', namespaces: ['b', 'shared'] }),
];

t.test('tenants by namespace; cluster-scoped objects have none', async (t) => {
  const b = new AuditBudget(policies, 100, 50);
  t.same(b.tenantsIn('a'), ['team-a.p']);
  t.same(b.tenantsIn('shared'), ['team-a.p', 'team-b.p']);
  t.same(b.tenantsIn('c'), []);
  t.same(b.tenantsIn(undefined), []);
});

t.test("a deadline missed in a tenant's namespace skips that tenant only", async (t) => {
  const b = new AuditBudget(policies, 100, 50);
  t.same(b.skip('a'), []);
  t.same(b.charge('a', 50, true, 'ConfigMap a/x'), ['team-a.p']);
  t.same(b.skip('a'), ['team-a.p'], 'the same object, judged again without it');
  t.same(b.skip('shared'), ['team-a.p']);
  t.same(b.charge('shared', 1, false, 'ConfigMap shared/y'), [], 'team-b pays as usual');
  t.same(b.skip('b'), []);
  t.same(b.report(), [
    "tenant team-a.p: its policies were skipped for the rest of this audit (an evaluation of ConfigMap a/x in its namespaces exceeded the 50 ms deadline); 2 objects in its namespaces were judged by the platform's policies alone",
  ]);
});

t.test("a tenant is charged only what its namespaces cost beyond the platform's", async (t) => {
  const b = new AuditBudget(policies, 100, 1000);
  // The platform alone costs 20 ms per object (namespaces where no tenant speaks).
  for (let i = 0; i < 5; i++) t.same(b.charge('c', 20, false, `c/${i}`), []);
  // 30 ms in team-b's namespace: 10 ms charged each time, 10 times over the 100 ms budget.
  for (let i = 0; i < 10; i++) t.same(b.charge('b', 30, false, `b/${i}`), [], `b/${i}`);
  t.same(b.charge('b', 30, false, 'b/10'), ['team-b.p'], 'past the budget on the 11th');
  t.same(b.charge('b', 30, false, 'b/11'), [], 'once over, no longer charged');
  t.same(b.report(), [
    "tenant team-b.p: its policies were skipped for the rest of this audit (its policies cost more than the 100 ms budget); 0 objects in its namespaces were judged by the platform's policies alone",
  ]);
  t.same(b.charge('c', 5000, true, 'c/slow'), [], "the platform's own timeout charges no tenant");
});
