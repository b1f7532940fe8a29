// The RBAC attributes each control route is checked for (SubjectAccessReview).
import t from 'tap';
import { controlAttributes } from '../../../reconciler/server/control-auth.js';

t.test('routes map to GitSource patch or the audit URL', async (t) => {
  t.strictSame(controlAttributes('/sources/team-a.web/sync', 'driftgate-system'), {
    resource: {
      group: 'driftgate.io',
      resource: 'gitsources',
      verb: 'patch',
      namespace: 'team-a',
      name: 'web',
    },
  });
  t.strictSame(
    controlAttributes('/sources/prod/suspend', 'dg'),
    {
      resource: {
        group: 'driftgate.io',
        resource: 'gitsources',
        verb: 'patch',
        namespace: 'dg',
        name: 'prod',
      },
    },
    "a source from the config file: a name in driftgate's namespace, for RBAC",
  );
  t.strictSame(controlAttributes('/audit', 'dg'), {
    nonResource: { path: '/audit', verb: 'post' },
  });
  t.equal(controlAttributes('/sources/x/delete', 'dg'), undefined);
  t.equal(controlAttributes('/status', 'dg'), undefined);
});
