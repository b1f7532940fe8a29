// Argo CD (built by `npm run tools -- peers`) outside a cluster, the way its own Procfile runs it
// for development: one `argocd` binary as repo-server, application-controller and API server
// (ARGOCD_BINARY_NAME), ARGOCD_FAKE_IN_CLUSTER with KUBECONFIG, a redis-server on loopback, and
// the CRDs, ConfigMaps and Secret of its core-install.yaml. The API server is there for its Git
// push webhook (/api/webhook); no UI or Dex. An Application is created with kubectl, as a GitOps
// user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { ControlPlane } from '../../test/support/control-plane.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/processes.js';
import { readVersions } from '../../test/support/tools.js';
import { peerBin } from '../support.js';

export const ARGOCD_NAMESPACE = 'argocd';

export interface ArgoCD {
  readonly version: string;
  readonly controller: ChildProcess;
  readonly repoServer: ChildProcess;
  readonly redis: ChildProcess;
  readonly server: ChildProcess;
  /** The API server's Git push webhook. */
  readonly webhookURL: string;
  stop(): void;
}

async function must(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const r = await cp.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The CRDs, ConfigMaps and Secret of core-install.yaml (its Deployments would need a node). */
function installDocs(bin: string, resyncSeconds: number): string {
  const keep = new Set(['CustomResourceDefinition', 'ConfigMap', 'Secret']);
  const docs = parseAllDocuments(readFileSync(join(bin, 'core-install.yaml'), 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata: { name: string }; data?: object })
    .filter((d) => keep.has(d.kind ?? ''));
  for (const d of docs)
    if (d.kind === 'ConfigMap' && d.metadata.name === 'argocd-cm')
      // The same polling interval as the other systems (Argo CD's default is 120 s).
      d.data = { ...d.data, 'timeout.reconciliation': `${resyncSeconds}s` };
  return docs.map((d) => stringify(d)).join('---\n');
}

export async function startArgoCD(
  cp: ControlPlane,
  dir: string,
  resyncSeconds: number,
): Promise<ArgoCD> {
  const version = readVersions().ARGOCD_VERSION ?? '';
  const bin = peerBin('argocd', 'ARGOCD_VERSION', 'argocd', 'Argo CD');
  await must(cp, ['create', 'namespace', ARGOCD_NAMESPACE]);
  await must(
    cp,
    ['apply', '--server-side', '-n', ARGOCD_NAMESPACE, '-f', '-'],
    installDocs(bin, resyncSeconds),
  );
  // Right after the apply a CRD may have no conditions yet, which `kubectl wait` calls an error.
  await waitFor(
    'the Argo CD CRDs established',
    async () =>
      (await cp.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']))
        .code === 0,
    90_000,
    500,
  );
  // The API server would create the default project on start; nothing else here does.
  await must(
    cp,
    ['apply', '-f', '-'],
    stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    }),
  );
  for (const d of ['tls', 'ssh', 'gpg-keys', 'gpg-source'])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'ssh', 'ssh_known_hosts'), '');
  const log = (name: string) => openSync(join(dir, `${name}.log`), 'a');
  const redisPort = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', log('redis'), log('redis')] },
  );
  const env = {
    ...process.env,
    KUBECONFIG: cp.kubeconfigs.admin,
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    ARGOCD_TLS_DATA_PATH: join(dir, 'tls'),
    ARGOCD_SSH_DATA_PATH: join(dir, 'ssh'),
    ARGOCD_GNUPGHOME: join(dir, 'gpg-keys'),
    ARGOCD_GPG_DATA_PATH: join(dir, 'gpg-source'),
    ARGOCD_GPG_ENABLED: 'false',
    // The repo-server runs git through hack/git-verify-wrapper.sh, kept beside the binary.
    PATH: `${bin}:${process.env.PATH ?? ''}`,
  };
  const repoPort = await freePort();
  const start = async (role: string, args: string[], ready: string): Promise<ChildProcess> => {
    const child = spawn(
      join(bin, 'argocd'),
      [...args, '--redis', `127.0.0.1:${redisPort}`, '--loglevel', 'warn'],
      {
        env: { ...env, ARGOCD_BINARY_NAME: `argocd-${role}` },
        stdio: ['ignore', log(role), log(role)],
      },
    );
    await waitFor(
      `argocd ${role} ready (log: ${join(dir, `${role}.log`)})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`argocd ${role} exited ${child.exitCode}`);
        return (await fetch(ready)).ok;
      },
      90_000,
      250,
    );
    return child;
  };
  const repoMetrics = await freePort();
  const repoServer = await start(
    'repo-server',
    [
      '--address=127.0.0.1',
      `--port=${repoPort}`,
      '--metrics-address=127.0.0.1',
      `--metrics-port=${repoMetrics}`,
      '--disable-tls',
      '--client-ca-path=',
      // A branch is resolved to a commit again after this long (default 3 m): the interval.
      `--revision-cache-expiration=${resyncSeconds}s`,
    ],
    `http://127.0.0.1:${repoMetrics}/metrics`,
  );
  const controllerMetrics = await freePort();
  const controller = await start(
    'application-controller',
    [
      `--namespace=${ARGOCD_NAMESPACE}`,
      `--repo-server=127.0.0.1:${repoPort}`,
      '--repo-server-plaintext',
      `--metrics-port=${controllerMetrics}`,
      `--app-resync=${resyncSeconds}`,
      // Its default adds up to 60 s at random to each resync, to spread load; the others add none.
      '--app-resync-jitter=0',
    ],
    `http://127.0.0.1:${controllerMetrics}/metrics`,
  );
  const serverPort = await freePort();
  const server = await start(
    'server',
    [
      `--namespace=${ARGOCD_NAMESPACE}`,
      '--insecure',
      '--address=127.0.0.1',
      `--port=${serverPort}`,
      `--metrics-port=${await freePort()}`,
      `--repo-server=127.0.0.1:${repoPort}`,
      '--repo-server-plaintext',
      `--staticassets=${dir}`,
    ],
    `http://127.0.0.1:${serverPort}/healthz`,
  );
  return {
    version,
    controller,
    repoServer,
    redis,
    server,
    webhookURL: `http://127.0.0.1:${serverPort}/api/webhook`,
    stop() {
      for (const c of [server, controller, repoServer, redis]) c.kill('SIGKILL');
    },
  };
}

/** An Application syncing `path` of the repository into `namespace`: automated, prune, selfHeal. */
export function argoApplication(repoURL: string, path: string, namespace: string): string {
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'bench', namespace: ARGOCD_NAMESPACE },
    spec: {
      project: 'default',
      source: { repoURL, path, targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
  });
}

/** A GitHub push event for `repoURL`'s main branch, as GitHub sends it to /api/webhook. */
export async function argoPush(
  webhookURL: string,
  repoURL: string,
  after: string,
  changed: readonly string[],
): Promise<void> {
  const res = await fetch(webhookURL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    body: JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after,
      repository: { html_url: repoURL, clone_url: repoURL, default_branch: 'main' },
      commits: [{ id: after, added: [], removed: [], modified: changed }],
    }),
  });
  if (!res.ok) throw new Error(`Argo CD /api/webhook: HTTP ${res.status} ${await res.text()}`);
}
