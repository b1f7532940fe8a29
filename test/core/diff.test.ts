import t from 'tap';
import { declaredDiff, formatDiff, withoutPaths } from '../../core/diff.js';

t.test('declaredDiff compares only what Git declares', async (t) => {
  const declared = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'w', labels: { app: 'w' } },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'a:1', resources: { limits: { cpu: '1', memory: '1Gi' } } },
          ],
        },
      },
    },
  };
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'w', labels: { app: 'w', extra: 'x' }, uid: 'u', resourceVersion: '9' },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: 600,
      template: {
        spec: {
          containers: [
            { name: 'sidecar', image: 's:1' },
            {
              name: 'app',
              image: 'a:1',
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { cpu: '1000m', memory: '1073741824' } },
            },
          ],
        },
      },
    },
    status: { replicas: 2 },
  };
  t.same(
    declaredDiff(declared, live),
    [],
    'defaults, extra labels, other containers and canonical quantities do not count',
  );
  const changed = structuredClone(live);
  changed.spec.replicas = 1;
  changed.spec.template.spec.containers = [
    live.spec.template.spec.containers[0],
    { ...live.spec.template.spec.containers[1], image: 'a:2' },
  ] as typeof live.spec.template.spec.containers;
  changed.metadata.labels.app = 'other';
  t.same(
    declaredDiff(declared, changed)
      .map((d) => d.path)
      .sort(),
    ['/metadata/labels/app', '/spec/replicas', '/spec/template/spec/containers/app/image'],
  );
  t.same(
    declaredDiff(declared, changed, ['/spec/replicas', '/metadata/labels/app']).map((d) => d.path),
    ['/spec/template/spec/containers/app/image'],
    'ignored paths skipped',
  );
  t.same(declaredDiff(declared, undefined), [{ path: '', declared: 'present', live: 'missing' }]);
  t.same(
    declaredDiff({ data: { a: '1' } }, { data: 'x' }).map((d) => d.path),
    ['/data'],
  );
  t.same(
    declaredDiff({ args: ['a', 'b'] }, { args: ['a'] }).map((d) => d.path),
    ['/args'],
    'unkeyed lists compared whole',
  );
  t.same(
    declaredDiff({ args: ['a', 'b'] }, { args: ['a', 'c'] }).map((d) => d.path),
    ['/args/1'],
  );
  t.same(
    declaredDiff({ ports: [{ name: 'http', port: 80 }] }, { ports: [] }).map((d) => d.path),
    ['/ports/http'],
  );
  t.same(
    declaredDiff({ ports: [{ name: 'http' }] }, { ports: 'x' }).map((d) => d.path),
    ['/ports'],
  );
  t.same(
    declaredDiff({ metadata: { annotations: { 'a/b': 'c' } } }, { metadata: {} }).map(
      (d) => d.path,
    ),
    ['/metadata/annotations'],
  );
});

t.test('withoutPaths removes ignored fields without touching the original', async (t) => {
  const o = { spec: { replicas: 3, x: 1 }, metadata: { annotations: { 'a/b': '1', c: '2' } } };
  const out = withoutPaths(o, ['/spec/replicas', '/metadata/annotations/a~1b', '/no/such/path']);
  t.same(out, { spec: { x: 1 }, metadata: { annotations: { c: '2' } } });
  t.equal(o.spec.replicas, 3);
});

t.test('formatDiff is short and readable', async (t) => {
  const diffs = Array.from({ length: 7 }, (_, i) => ({
    path: `/data/k${i}`,
    declared: 'a',
    live: undefined,
  }));
  t.equal(formatDiff(diffs.slice(0, 1)), '/data/k0: git "a", live unset');
  t.match(formatDiff(diffs), /… and 2 more$/);
  t.equal(
    formatDiff([{ path: '', declared: 'present', live: 'missing' }]),
    '(object): git "present", live "missing"',
  );
});
