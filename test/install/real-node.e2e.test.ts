// The release installed for real: `npm run release` pushes the image and the chart to a real
// registry (CNCF Distribution) and signs them with cosign; a tampered image and a tampered chart
// are refused before anything is installed; the chart is installed from oci:// by the digest
// that verified, and a real node's containerd (kubelet, kube-proxy, CoreDNS beside the test
// control plane) pulls the image from the registry. Then `helm install --wait`, admission through the Service, Git drift healed by the in-cluster reconciler, leader
// failover, a rolling upgrade with zero failed admissions, failurePolicy Fail with the webhook
// at zero, and an uninstall that leaves nothing. Skipped, with the reason, where a real node
// cannot run (not root, no cgroups).
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { exec } from '../../core/exec.js';
import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { startGitServer } from '../support/git-server.js';
import { gitSourceManifest, mustKubectl } from '../support/gitsources.js';
import { startRegistry } from '../support/registry.js';
import { installVerified, publishRelease, trustRegistryOnNode } from './release-install.js';
import { checkRelease, refuseTampered } from './release-checks.js';
import { buildTaggedRelease } from './tagged-release.js';
import {
  installTagged,
  rollBackToTagged,
  upgradeFromTagged,
  type UpgradeContext,
} from './upgrade-steps.js';
import { NODE_IP, NODE_NAME, realNodeSkipReason, startNode } from '../support/node/node.js';
import { waitFor } from '../support/processes.js';
import { configMap, trustOf } from '../support/reconciler.js';
import { createSshSigner } from '../support/signing.js';
import { readVersions, toolPath } from '../support/tools.js';
import { admissionWriter } from './writer.js';

// The longest file: a node, a registry, three installs, an upgrade and a rollback, ~400 s on an
// idle 2-core machine. The suite's 600 s per file left it no room under load (598 s measured
// with other suites beside it): this file has 20 minutes.
t.setTimeout(1_200_000);

const NS = 'dg-system';
const RELEASE = 'driftgate';

const skip = realNodeSkipReason();
t.test('driftgate installed with helm on a real node', { skip: skip ?? false }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'driftgate-install-'));
  // One teardown, in order: the Git server, the node (its pods and host changes), the control plane.
  const stops: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });
  const cp: ControlPlane = await startControlPlane({ workloads: true, nodeIP: NODE_IP });
  stops.push(() => cp.stop());
  const node = await startNode(cp);
  stops.push(() => node.stop());
  // The release, as published: a real registry on the node's address, the image and the chart
  // pushed there and signed by npm run release; containerd pulls from it (nothing is imported).
  const registry = await startRegistry(NODE_IP);
  stops.push(() => registry.stop());
  trustRegistryOnNode(registry.host, registry.caFile);
  // The last release (tag v0.1.0), built from its own tree meanwhile, for the upgrade steps.
  const lastRelease = buildTaggedRelease(work, 'v0.1.0', registry).then(
    (r) => r,
    (err: unknown) => err as Error,
  );
  const release = await publishRelease(work, registry.host, registry.caFile);
  const IMAGE = `${registry.host}/driftgate`;
  const git = await startGitServer({ host: NODE_IP });
  stops.push(() => git.stop());
  const signer = await createSshSigner(work, 'Platform', 'platform@example.com');
  const repo = await git.createRepo('shop');
  await repo.commit({ 'app/settings.yaml': configMap('settings', { mode: 'strict' }) }, { signer });
  const kubectl = mustKubectl(cp);
  const helm = (args: string[]) =>
    exec(toolPath('helm'), [...args, '--kubeconfig', cp.kubeconfigs.admin], { timeoutMs: 300_000 });
  // Each step builds on the one before: after a failure the rest report it instead of timing out.
  let broken = '';
  const step = (name: string, fn: (t: Test) => Promise<void>) =>
    t.test(name, async (t) => {
      if (broken) return void t.fail(`not run: "${broken}" failed`);
      try {
        await fn(t);
      } catch (err) {
        broken = name;
        throw err;
      } finally {
        if (!t.passing()) broken = name;
      }
    });
  const kc = (args: string[]) => cp.kubectl(args);
  const jsonpath = async (args: string[], path: string) =>
    (await kubectl([...args, '-o', `jsonpath=${path}`])).trim();

  await step('the release: checksums, an SBOM and signatures that verify', (t) =>
    checkRelease(t, release, work),
  );

  await step(
    'a tampered image and a tampered chart are refused before anything is installed',
    (t) =>
      refuseTampered(t, { work, registry, release, helm, kc, releaseName: RELEASE, namespace: NS }),
  );

  await step(
    'helm install from oci://, signatures verified first; containerd pulls the image',
    async (t) => {
      const r = await installVerified({
        helm,
        repo: registry.host,
        version: release.version,
        pub: release.pub,
        caFile: registry.caFile,
        release: RELEASE,
        namespace: NS,
        // An identity whose writes skip admission: how the test makes drift the webhook never saw.
        set: ['webhook.exemptions.users={ops-bot}'],
      });
      t.equal(r.refused, undefined, 'both signatures verify');
      t.equal(`${registry.host}/driftgate@${r.imageDigest}`, release.image, 'the image released');
      t.equal(
        `${registry.host}/charts/driftgate@${r.chartDigest}`,
        release.chart,
        'the chart released',
      );
      t.equal(r.code, 0, `helm install: ${r.stderr}`);
      // --wait returns once the pods are Ready; kube-proxy routes the Service a moment later (about
      // a second), and until then failurePolicy Fail refuses covered writes.
      await waitFor(
        'the webhook answering through its Service',
        async () =>
          (await kc(['create', 'configmap', 'probe', '-n', 'default', '--dry-run=server'])).code ===
          0,
        30_000,
        250,
      );
      const pods = JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-o', 'json'])) as {
        items: {
          metadata: { labels: Record<string, string> };
          spec: PodSpec;
          status: { phase: string };
        }[];
      };
      const byRole = (role: string) =>
        pods.items.filter((p) => p.metadata.labels['app.kubernetes.io/component'] === role);
      t.equal(byRole('webhook').length, 2, 'two webhook pods');
      t.equal(byRole('reconciler').length, 2, 'two reconciler pods');
      for (const p of pods.items) {
        t.equal(p.status.phase, 'Running');
        t.equal(p.spec.nodeName, NODE_NAME, 'on the real node');
        const c = p.spec.containers[0];
        t.equal(c?.image, release.image, 'the released image, by digest, pulled from the registry');
        t.same(
          [
            p.spec.securityContext?.runAsNonRoot,
            c?.securityContext?.readOnlyRootFilesystem,
            c?.securityContext?.capabilities?.drop,
            p.spec.securityContext?.seccompProfile?.type,
          ],
          [true, true, ['ALL'], 'RuntimeDefault'],
          'runs with the chart securityContext',
        );
      }
      const version = await kubectl([
        'exec',
        '-n',
        NS,
        `deploy/${RELEASE}-webhook`,
        '--',
        'node',
        '--version',
      ]);
      t.equal(version.trim(), readVersions().NODE_VERSION, 'the image runs the pinned Node.js');
      t.equal(process.version, readVersions().NODE_VERSION, 'so do the tests');
    },
  );

  await step('a bad Pod is denied by the webhook behind its Service', async (t) => {
    await kubectl(['create', 'namespace', 'apps']);
    const privileged = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad', namespace: 'apps' },
      spec: {
        containers: [
          { name: 'c', image: 'registry.example/app:1.0', securityContext: { privileged: true } },
        ],
      },
    });
    const r = await cp.kubectl(['apply', '-f', '-'], { input: privileged });
    t.not(r.code, 0, 'a privileged Pod is refused');
    t.match(r.stderr, 'admission webhook "validate.driftgate.io" denied the request');
    t.match(r.stderr, 'security/disallow_privileged');
    const latest = await kc([
      'run',
      'latest',
      '-n',
      'apps',
      '--image=nginx:latest',
      '--dry-run=server',
    ]);
    t.equal(latest.code, 0, 'a warn-level policy admits');
    t.match(latest.stderr, 'Warning: [images/disallow_latest]', 'with a warning');
  });

  await step('a Git-managed object: a manual change denied, drift healed in-cluster', async (t) => {
    await kubectl(['create', 'namespace', 'shop']);
    await kubectl([
      'create',
      'configmap',
      'trust',
      '-n',
      'shop',
      `--from-literal=sshAllowedSigners=${trustOf(signer).sshAllowedSigners ?? ''}`,
    ]);
    await kubectl(['create', 'serviceaccount', 'deployer', '-n', 'shop']);
    await kubectl([
      'create',
      'rolebinding',
      'deployer',
      '-n',
      'shop',
      '--clusterrole=edit',
      '--serviceaccount=shop:deployer',
    ]);
    // The chart installed the GitSource API.
    await kubectl(['wait', '--for=condition=Established', 'crd/gitsources.driftgate.io']);
    await kubectl(
      ['apply', '-f', '-'],
      gitSourceManifest('shop', 'app', {
        repoURL: repo.url,
        path: 'app',
        interval: '10s',
        serviceAccountName: 'deployer',
      }),
    );
    await kubectl([
      'wait',
      '--for=condition=Ready',
      'gitsource/app',
      '-n',
      'shop',
      '--timeout=120s',
    ]);
    const mode = () => jsonpath(['get', 'configmap', 'settings', '-n', 'shop'], '{.data.mode}');
    t.equal(await mode(), 'strict', 'synced from Git by the in-cluster reconciler');

    const patch = ['patch', 'configmap', 'settings', '-n', 'shop', '-p', '{"data":{"mode":"lax"}}'];
    // The webhooks poll the reconciler's desired-state index: the change is denied once they have it.
    await waitFor(
      'the webhook to know the object is Git-managed',
      async () =>
        (await cp.kubectl([...patch, '--dry-run=server'], { as: 'developer' })).code !== 0,
      30_000,
      250,
    );
    const denied = await cp.kubectl(patch, { as: 'developer' });
    t.not(denied.code, 0, 'a manual change is denied');
    t.match(denied.stderr, repo.url, 'naming the repository');
    t.match(denied.stderr, 'app/settings.yaml', 'and the path');
    const drift = await kc([...patch, '--as=ops-bot', '--as-group=system:masters']);
    t.equal(drift.code, 0, `a change past admission (an exempt user): ${drift.stderr}`);
    await waitFor('the drift healed', async () => (await mode()) === 'strict', 90_000, 500);
    t.pass("the reconciler put Git's value back");
  });

  await step('the leader pod deleted: the other reconciler takes over and syncs', async (t) => {
    const holder = () =>
      jsonpath(['get', 'lease', `${RELEASE}-reconciler`, '-n', NS], '{.spec.holderIdentity}');
    const leader = await holder();
    t.match(leader, new RegExp(`^${RELEASE}-reconciler-`), 'a reconciler pod leads');
    await kubectl(['delete', 'pod', leader, '-n', NS, '--wait=false']);
    await waitFor('a new leader', async () => !['', leader].includes(await holder()), 90_000, 500);
    await repo.commit({ 'app/extra.yaml': configMap('extra', { from: 'new-leader' }) }, { signer });
    await waitFor(
      'the next commit applied by the new leader',
      async () => (await kc(['get', 'configmap', 'extra', '-n', 'shop'])).code === 0,
      120_000,
      500,
    );
    t.not(await holder(), leader, 'led by another pod');
  });

  await step('helm upgrade to a changed image: zero failed admission requests', async (t) => {
    const writer = admissionWriter(cp.kubeConfig().makeApiClient(CoreV1Api), 'apps');
    await writer.until(5);
    // The upgrade's "changed image": the release's image under a second tag (pods roll).
    const tagged = await exec('skopeo', [
      'copy',
      '-q',
      '--preserve-digests',
      '--src-cert-dir',
      registry.certDir,
      '--dest-cert-dir',
      registry.certDir,
      `docker://${release.image}`,
      `docker://${IMAGE}:test-2`,
    ]);
    t.equal(tagged.code, 0, tagged.stderr);
    const r = await helm([
      'upgrade',
      RELEASE,
      `oci://${release.chart}`,
      '--ca-file',
      registry.caFile,
      '-n',
      NS,
      '--reuse-values',
      '--wait',
      '--timeout',
      '240s',
      '--set',
      'image.digest=',
      '--set',
      'image.tag=test-2',
    ]);
    t.equal(r.code, 0, `helm upgrade: ${r.stderr}`);
    await kubectl(['rollout', 'status', `deploy/${RELEASE}-webhook`, '-n', NS, '--timeout=120s']);
    // The old pods drain (shutdownDelaySeconds) after the rollout is complete: wait them out.
    const images = () =>
      jsonpath(
        ['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/component=webhook'],
        '{.items[*].spec.containers[0].image}',
      );
    await waitFor(
      'the old webhook pods gone',
      async () => (await images()).split(' ').length === 2,
      60_000,
      250,
    );
    t.same(
      (await images()).split(' '),
      [`${IMAGE}:test-2`, `${IMAGE}:test-2`],
      'both webhook pods replaced',
    );
    const result = await writer.stop();
    t.ok(result.ok >= 20, `${result.ok} writes admitted during the rollout`);
    t.same(result.failures, [], 'no write failed');
  });

  await step(
    "failurePolicy Fail with the webhook at zero: covered namespaces refuse, kube-system and driftgate's own do not",
    async (t) => {
      await kubectl(['scale', `deploy/${RELEASE}-webhook`, '-n', NS, '--replicas=0']);
      await waitFor(
        'no webhook endpoints',
        async () =>
          (await jsonpath(
            [
              'get',
              'endpointslices',
              '-n',
              NS,
              '-l',
              `kubernetes.io/service-name=${RELEASE}-webhook`,
            ],
            '{.items[*].endpoints[*].addresses[*]}',
          )) === '',
        60_000,
        250,
      );
      const create = (ns: string) => kc(['create', 'configmap', `while-down`, '-n', ns]);
      const refused = await create('apps');
      t.not(refused.code, 0, 'a covered namespace refuses the write');
      t.match(refused.stderr, 'failed calling webhook');
      t.equal((await create('kube-system')).code, 0, 'kube-system is never covered');
      t.equal((await create(NS)).code, 0, "driftgate's namespace is never covered");
    },
  );

  await step(
    'helm uninstall succeeds with the webhook down and leaves nothing behind',
    async (t) => {
      const r = await helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '120s']);
      t.equal(r.code, 0, `helm uninstall: ${r.stderr}`);
      const left = await kubectl([
        'get',
        'clusterroles,clusterrolebindings,validatingwebhookconfigurations,mutatingwebhookconfigurations',
        '-l',
        `app.kubernetes.io/instance=${RELEASE}`,
        '-o',
        'name',
      ]);
      t.same(left.trim(), '', 'no cluster-scoped object left');
      // But the GitSource CRD (crds.keep): uninstalling driftgate loses no GitSource.
      t.equal(
        await jsonpath(['get', 'gitsource', 'app', '-n', 'shop'], '{.metadata.name}'),
        'app',
        'the GitSource is kept',
      );
      const ofRelease = (kinds: string) =>
        kubectl([
          'get',
          kinds,
          '-n',
          NS,
          '-l',
          `app.kubernetes.io/instance=${RELEASE}`,
          '-o',
          'name',
        ]);
      // Pods belong to ReplicaSets, which the garbage collector removes after helm returns.
      await waitFor(
        'the release pods gone',
        async () => (await ofRelease('pods')).trim() === '',
        60_000,
        500,
      );
      const inNs = await ofRelease(
        'all,configmaps,secrets,serviceaccounts,roles,rolebindings,pdb,networkpolicies,leases',
      );
      t.same(inNs.trim(), '', 'nothing of the release left in its namespace');
      t.equal(
        (await kc(['create', 'configmap', 'after', '-n', 'apps'])).code,
        0,
        'writes flow again',
      );
    },
  );

  // The last release, installed after the uninstall above (which kept the CRD and the
  // GitSource), upgraded to this one and rolled back.
  const old = await lastRelease;
  const upgrade: UpgradeContext = {
    cp,
    helm,
    kubectl: (args, input) => kubectl(args, input),
    registry,
    release,
    releaseName: RELEASE,
    namespace: NS,
    source: { namespace: 'shop', name: 'app', repo, signer },
    intervalMs: 10_000,
  };
  await step('the last release, v0.1.0, installed from its chart: the kept GitSource syncs', (t) =>
    old instanceof Error
      ? Promise.resolve(void t.fail(`v0.1.0 not built: ${old.message}`))
      : installTagged(t, upgrade, old),
  );
  await step(
    'helm upgrade from v0.1.0 to this release, verified: no GitSource lost, every commit applied within an interval and a leader handover',
    (t) =>
      old instanceof Error
        ? Promise.resolve(void t.fail('not built'))
        : upgradeFromTagged(t, upgrade, old),
  );
  await step('helm rollback to v0.1.0: no GitSource lost, no failed admission', (t) =>
    old instanceof Error
      ? Promise.resolve(void t.fail('not built'))
      : rollBackToTagged(t, upgrade, old),
  );
  await step('helm uninstall of v0.1.0', async (t) => {
    const r = await helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '120s']);
    t.equal(r.code, 0, `helm uninstall: ${r.stderr}`);
    t.same(
      (
        await kubectl([
          'get',
          'validatingwebhookconfigurations,mutatingwebhookconfigurations',
          '-o',
          'name',
        ])
      ).trim(),
      '',
      'no webhook configuration left',
    );
  });
});

interface PodSpec {
  nodeName?: string;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers: {
    image?: string;
    securityContext?: { readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  }[];
}
