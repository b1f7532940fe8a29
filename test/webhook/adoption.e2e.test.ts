// Adopting driftgate on a cluster that already runs things, with the defaults of a fresh install
// (Pod Security baseline enforced, the rest warned): a real apiserver with controller-manager,
// scheduler and a kwok node (pods are simulated), the real webhook registered after workloads
// exist — as on a live cluster that installs driftgate today.
import t from 'tap';
import { createNamespace, startControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/processes.js';
import { exec } from '../../core/exec.js';
import { toolPath } from '../support/tools.js';
import { deployment, metricValue, registerWebhooks, startTestWebhook } from '../support/webhook.js';

const cp = await startControlPlane({ workloads: true });
t.teardown(() => cp.stop());
const ns = await createNamespace(cp, 'legacy');

const runKustomize = async (dir: string): Promise<string> =>
  (await exec(toolPath('kustomize'), ['build', dir], { timeoutMs: 30_000 })).stdout;

const apply = (manifest: string, as: 'developer' | 'admin' = 'developer') =>
  cp.kubectl(['apply', '-f', '-'], { as, input: manifest });

// Before driftgate: a Deployment with a hostPath volume (baseline: enforced by default) and an
// unpinned image (best practice: warned by default).
const old = JSON.parse(deployment('old', ns, { image: 'registry.example/shop/old:latest' }));
old.spec.template.spec.volumes = [{ name: 'logs', hostPath: { path: '/var/log' } }];
// (No top-level assertion: tap would end the root test, and tear the cluster down, at once.)
const created = await apply(JSON.stringify(old), 'admin');
if (created.code !== 0) throw new Error(created.stderr);
const available = async (name: string) =>
  Number(
    (
      await cp.kubectl([
        'get',
        'deploy',
        name,
        '-n',
        ns,
        '-o',
        'jsonpath={.status.availableReplicas}',
      ])
    ).stdout,
  ) >= 1;
await waitFor('the old Deployment to run', () => available('old'), 60_000, 200).catch(
  async (e: unknown) => {
    const events = await cp.kubectl(['get', 'all,events', '-n', ns]);
    throw new Error(`${(e as Error).message}\n${events.stdout}${events.stderr}`);
  },
);

const wh = await startTestWebhook();
t.teardown(() => wh.stop());
await registerWebhooks(cp, wh.url, wh.handle.caBundle());
await waitFor(
  'the webhook to be called',
  async () => {
    const r = await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], {
      as: 'developer',
      input: deployment('probe', ns, { image: 'registry.example/x:latest' }),
    });
    return r.stderr.includes('[images/disallow_latest]');
  },
  30_000,
  250,
);

t.test('an undeclared label on an object with old violations is allowed, said once', async (t) => {
  const r = await cp.kubectl(['label', 'deploy', 'old', '-n', ns, 'owner=alice'], {
    as: 'developer',
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, '[security/disallow_host_path] existing violation, allowed on update:');
  t.match(r.stderr, 'Warning: [images/disallow_latest]', 'a warned policy stays a warning');
  const m = await wh.metrics();
  t.ok(
    (metricValue(m, 'driftgate_policy_violations_total', {
      policy: 'security/disallow_host_path',
      action: 'existing',
    }) ?? 0) >= 1,
    'counted as the action actually taken: existing',
  );
});

t.test('a change that adds a violation is denied, naming only the new one', async (t) => {
  const r = await cp.kubectl(
    [
      'patch',
      'deploy',
      'old',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext","value":{"privileged":true}}]',
    ],
    { as: 'developer' },
  );
  t.not(r.code, 0);
  t.match(r.stderr, 'denied the request: driftgate policy: [security/disallow_privileged]');
  t.notMatch(
    r.stderr,
    /denied the request: [^\n]*disallow_host_path/,
    'the old one is not a reason',
  );
});

t.test('pods of an admitted template are not judged again: no FailedCreate loop', async (t) => {
  const pods = async () =>
    (await cp.kubectl(['get', 'pods', '-n', ns, '-l', 'app=old', '-o', 'name'])).stdout.trim();
  const before = await pods();
  t.not(before, '');
  t.equal((await cp.kubectl(['delete', '-n', ns, before, '--wait=false'])).code, 0);
  await waitFor(
    'the ReplicaSet to recreate its pod',
    async () => {
      const now = await pods();
      return now !== '' && now !== before && (await available('old'));
    },
    60_000,
    200,
  );
  const events = await cp.kubectl([
    'get',
    'events',
    '-n',
    ns,
    '--field-selector',
    'reason=FailedCreate',
    '-o',
    'name',
  ]);
  t.equal(events.stdout.trim(), '', 'no FailedCreate event');
});

t.test('a privileged template is denied at apply, where the user acts', async (t) => {
  const bad = JSON.parse(deployment('priv', ns));
  bad.spec.template.spec.containers[0].securityContext = { privileged: true };
  const r = await apply(JSON.stringify(bad));
  t.not(r.code, 0);
  t.match(r.stderr, '[security/disallow_privileged]');
  const get = await cp.kubectl(['get', 'deploy', 'priv', '-n', ns]);
  t.not(get.code, 0, 'nothing stored, so no ReplicaSet and no pods to fail');
});

t.test('on the defaults, public apps apply and run as they are published', async (t) => {
  const guestbook = 'test/fixtures/public/argocd-example-apps/guestbook';
  const gb = await cp.kubectl(['apply', '-n', ns, '-f', guestbook], { as: 'developer' });
  t.equal(gb.code, 0, gb.stderr);
  const podinfo = await runKustomize('test/fixtures/public/podinfo/kustomize');
  const pi = await cp.kubectl(['apply', '-n', ns, '-f', '-'], { as: 'developer', input: podinfo });
  t.equal(pi.code, 0, pi.stderr);
  t.match(pi.stderr, 'Warning: [', 'best-practice findings are warnings, not denials');
  await waitFor(
    'guestbook and podinfo to run',
    async () => (await available('guestbook-ui')) && (await available('podinfo')),
    60_000,
    200,
  );
});
