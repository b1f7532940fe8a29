// The demo's steps: a real control plane, a real Git server with signed commits, driftgate's
// reconciler and webhook, narrated: the sync, a manual change denied, policy denials, a
// break-glass change reverted after its expiry, where to look. scripts/demo/main.ts runs it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { startReconciler } from '../../reconciler/main.js';
import { startWebhook } from '../../webhook/main.js';
import { startControlPlane } from '../../test/support/control-plane.js';
import { startGitServer } from '../../test/support/git-server.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/processes.js';
import { CRDS } from '../../test/support/gitsources.js';
import { createSshSigner } from '../../test/support/signing.js';
import { deployment, registerGitGuard } from '../../test/support/webhook.js';
import { reconcilerConfig, webhookConfig, whereToLook } from './parts.js';
import { demoRepo, SRE_GROUP } from './repo.js';

export interface Demo {
  /** Where the running demo can be reached. */
  readonly urls: {
    readonly status: string;
    readonly reconcilerMetrics: string;
    readonly webhookMetrics: string;
  };
  /** The bearer token of the reconciler's control routes. */
  readonly controlToken: string;
  /** The admin kubeconfig of the demo's cluster. */
  readonly kubeconfig: string;
  /** Commit to the demo's repository, signed by the trusted key; resolves with the commit. */
  commit(files: Record<string, string>, message: string): Promise<string>;
  /** Stop everything the demo started and remove its files. */
  stop(): Promise<void>;
}

/** Run the demo to its end, narrating through `print`; everything stays up until stop(). */
export async function runDemo(print: (line: string) => void): Promise<Demo> {
  const t0 = Date.now();
  let stepNo = 0;
  const step = (text: string): void =>
    print(`\n[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${++stepNo}. ${text}`);
  const say = (text: string): void => print(`           ${text}`);
  const shown = (out: string): void => {
    for (const line of out.trim().split('\n')) say(`  │ ${line}`);
  };
  const work = mkdtempSync(join(tmpdir(), 'driftgate-demo-'));
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(work, { recursive: true, force: true }),
  ];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    step(
      'Starting a real control plane: etcd, kube-apiserver, controller-manager, scheduler, a kwok node…',
    );
    const cp = await startControlPlane({ workloads: true });
    cleanups.push(() => cp.stop());
    const prodWeb = async (path: string): Promise<string> =>
      (await cp.kubectl(['get', 'deploy', 'web', '-n', 'shop-prod', '-o', `jsonpath={${path}}`]))
        .stdout;
    say(`admin kubeconfig: ${cp.kubeconfigs.admin}`);

    step(
      'Starting a Git server (git http-backend) and committing an example repo, signed with ssh-keygen…',
    );
    const git = await startGitServer();
    cleanups.push(() => git.stop());
    const signer = await createSshSigner(
      join(work, 'ssh'),
      'Platform Team',
      'platform@example.com',
    );
    const repo = await git.createRepo('platform');
    const files = demoRepo();
    const first = await repo.commit(files, {
      signer,
      message: 'dev and prod environments, a policy',
    });
    say(`${repo.url} @ ${first.slice(0, 12)}: ${Object.keys(files).sort().join(', ')}`);

    step(
      'Installing the GitSource API (CRD) and starting the driftgate reconciler; sources are Kubernetes objects…',
    );
    const crd = await cp.kubectl(['apply', '-f', CRDS]);
    if (crd.code !== 0) throw new Error(crd.stderr);
    await cp.kubectl(['wait', '--for=condition=Established', 'crd/gitsources.driftgate.io']);
    const token = join(work, 'state-token');
    writeFileSync(token, `${randomBytes(24).toString('hex')}\n`);
    const controlToken = join(work, 'control-token');
    writeFileSync(controlToken, `${randomBytes(24).toString('hex')}\n`);
    const trust = {
      sshAllowedSigners: `platform@example.com namespaces="git" ${signer.publicKey}\n`,
    };
    // One GitSource per environment, in its own namespace, trusting the platform's key.
    const gitSource = (env: string, extra: Record<string, unknown> = {}) =>
      stringify({
        apiVersion: 'driftgate.io/v1alpha1',
        kind: 'GitSource',
        metadata: { name: 'shop', namespace: `shop-${env}` },
        spec: {
          repoURL: repo.url,
          ref: 'main',
          path: `envs/${env}`,
          interval: '30s',
          verification: { mode: 'strict', configMapRef: { name: 'git-trust' } },
          ...extra,
        },
      });
    const statusPort = await freePort();
    const rec = await startReconciler(
      reconcilerConfig(work, statusPort, await freePort(), { state: token, control: controlToken }),
      { kubeConfig: cp.kubeConfig('reconciler'), logger: pino({ level: 'silent' }) },
    );
    cleanups.push(() => rec.close());
    const statusURL = `http://127.0.0.1:${rec.port}`;
    const status = async (name: string) =>
      (await (
        await fetch(`${statusURL}/status/${name}`, {
          headers: { authorization: `Bearer ${readFileSync(controlToken, 'utf8').trim()}` },
        })
      ).json()) as Record<string, unknown>;
    for (const env of ['dev', 'prod']) {
      const ns = `shop-${env}`;
      await cp.kubectl(['create', 'namespace', ns]);
      await cp.kubectl([
        'create',
        'configmap',
        'git-trust',
        '-n',
        ns,
        `--from-literal=sshAllowedSigners=${trust.sshAllowedSigners}`,
      ]);
      const applied = await cp.kubectl(['apply', '-f', '-'], {
        input: gitSource(env, env === 'dev' ? { policyPath: 'policies' } : {}),
      });
      say(`kubectl apply: ${applied.stdout.trim() || applied.stderr.trim()}`);
    }
    for (const env of ['dev', 'prod']) {
      const ready = await cp.kubectl([
        'wait',
        '--for=condition=Ready',
        'gitsource/shop',
        '-n',
        `shop-${env}`,
        '--timeout=120s',
      ]);
      if (ready.code !== 0) throw new Error(ready.stderr);
    }
    shown((await cp.kubectl(['get', 'gitsources', '-A'])).stdout);
    for (const env of ['dev', 'prod']) {
      const s = await status(`shop-${env}.shop`);
      say(
        `${env}: ${s.syncStatus}, revision ${String(s.revision).slice(0, 12)}, signed by ${s.signer}, ${s.objects} objects`,
      );
    }
    await waitFor(
      'prod web rolled out',
      async () => (await prodWeb('.status.readyReplicas')) === '3',
      120_000,
      500,
    );
    shown((await cp.kubectl(['get', 'deploy', '-A', '-l', 'driftgate.io/source'])).stdout);

    step('Starting the driftgate admission webhook (HTTPS) and registering it with the apiserver…');
    const wh = await startWebhook(webhookConfig(work, await freePort(), statusURL, token), {
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(() => wh.close());
    await wh.gitStateFetched;
    await registerGitGuard(cp, `https://127.0.0.1:${wh.port}`, wh.caBundle(), SRE_GROUP);
    const alice = (args: string[], input?: string) =>
      cp.kubectl(args, { as: 'developer', ...(input ? { input } : {}) });
    await waitFor(
      'the webhook to be called',
      async () =>
        (
          await alice([
            'scale',
            'deploy/web',
            '-n',
            'shop-prod',
            '--replicas=1',
            '--dry-run=server',
          ])
        ).code !== 0,
      30_000,
      250,
    );
    say(
      `webhook on https://127.0.0.1:${wh.port}; ${wh.desired.size} Git-declared objects in its index`,
    );

    step(
      'A developer (alice) scales the prod Deployment by hand: kubectl scale deploy/web --replicas=1',
    );
    const scaled = await alice(['scale', 'deploy/web', '-n', 'shop-prod', '--replicas=1']);
    shown(scaled.stderr);
    say(scaled.code !== 0 ? '→ denied: Git declares 3 replicas.' : '→ unexpectedly allowed!');

    step(
      "Policies: an image tagged :latest (built-in library), a debug ConfigMap (policy from the dev GitSource's policyPath: a tenant's policies speak in its own namespaces only)",
    );
    const latest = await alice(
      ['apply', '-n', 'shop-dev', '-f', '-'],
      deployment('try-latest', 'shop-dev', { image: 'registry.example/shop/web:latest' }),
    );
    shown(latest.stderr);
    const debug = await alice(
      ['apply', '-n', 'shop-dev', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'debug' },
        data: { debug: 'true' },
      }),
    );
    shown(debug.stderr);

    step(
      'Break glass: carol (group driftgate:sre) annotates web, then scales it to 1 for 20 seconds',
    );
    const expires = new Date(Date.now() + 20_000).toISOString();
    const carol = (args: string[]) =>
      cp.kubectl([...args, '--as=carol', `--as-group=${SRE_GROUP}`]);
    shown(
      (
        await carol([
          'annotate',
          'deploy/web',
          '-n',
          'shop-prod',
          'driftgate.io/break-glass=INC-42: shed load',
          `driftgate.io/break-glass-expires=${expires}`,
        ])
      ).stdout,
    );
    const patched = await carol([
      'patch',
      'deploy/web',
      '-n',
      'shop-prod',
      '--type=merge',
      '-p',
      '{"spec":{"replicas":1}}',
    ]);
    shown(patched.stdout + patched.stderr);
    const replicas = () => prodWeb('.spec.replicas');
    say(`replicas now ${await replicas()}; self-heal leaves it alone until ${expires}`);
    await waitFor(
      'the revert after the expiry',
      async () => (await replicas()) === '3',
      90_000,
      250,
    );
    say(
      `${new Date().toISOString()}: reverted to ${await replicas()} replicas, the state Git declares`,
    );

    step('Where to look');
    await whereToLook(say, {
      statusURL,
      controlToken,
      reconcilerMetrics: rec.metricsPort,
      webhookMetrics: wh.metricsPort,
      kubeconfigs: cp.kubeconfigs,
      repo,
    });
    return {
      kubeconfig: cp.kubeconfigs.admin,
      commit: (files, message) => repo.commit(files, { signer, message }),
      controlToken: readFileSync(controlToken, 'utf8').trim(),
      urls: {
        status: statusURL,
        reconcilerMetrics: `http://127.0.0.1:${rec.metricsPort}/metrics`,
        webhookMetrics: `http://127.0.0.1:${wh.metricsPort}/metrics`,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
