import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createCertificate, type CertifiedKey } from '../../webhook/tls/pki.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freePort } from './ports.js';
import { supervise, waitFor, type Supervised } from './processes.js';
import { toolPath } from './tools.js';

/** The identities every control plane has, for tests that act as someone. */
export const Identity = {
  /** system:masters: the cluster's admin. */
  admin: 'admin',
  /** A human with ordinary RBAC (see DEVELOPER_RBAC): edits workloads, not cluster config. */
  developer: 'developer',
  /** The reconciler's ServiceAccount, with a real token from the TokenRequest API. */
  reconciler: 'reconciler',
} as const;
export type Identity = (typeof Identity)[keyof typeof Identity];

export const DEVELOPER_USER = 'alice';
export const DEVELOPER_GROUP = 'driftgate:developers';
export const DRIFTGATE_NAMESPACE = 'driftgate-system';
export const RECONCILER_SA = 'driftgate-reconciler';
export const RECONCILER_USER = `system:serviceaccount:${DRIFTGATE_NAMESPACE}:${RECONCILER_SA}`;
export const KWOK_NODE = 'kwok-node-0';

export interface ControlPlaneOptions {
  /** Also run kube-controller-manager, kube-scheduler and kwok with one simulated node. @default false */
  readonly workloads?: boolean;
  /**
   * A real node's IP (test/support/node): the apiserver listens on every address and advertises
   * this one, so pods reach it through the kubernetes Service. @default loopback only
   */
  readonly nodeIP?: string;
  /** More kube-apiserver flags (feature gates, runtime-config) for a test that needs them. */
  readonly apiServerArgs?: readonly string[];
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ControlPlane {
  readonly dir: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caPem: string;
  /** The cluster CA: tests sign webhook serving certificates with it when they like. */
  readonly ca: CertifiedKey;
  readonly kubeconfigs: Readonly<Record<Identity, string>>;
  /** A client-node KubeConfig for one identity. */
  kubeConfig(as?: Identity): KubeConfig;
  /** Run the pinned kubectl as one identity; never throws on a non-zero exit. */
  kubectl(
    args: readonly string[],
    opts?: { as?: Identity; input?: string },
  ): Promise<KubectlResult>;
  /** Stop and start kube-apiserver on the same port and data (for recovery tests). */
  restartApiServer(): Promise<void>;
  /** Kill every process and remove the temp directory. Safe to call twice. */
  stop(): Promise<void>;
}

interface Pki {
  ca: CertifiedKey;
  serving: CertifiedKey;
  admin: CertifiedKey;
  /** The controller-manager's own identity, as in a real cluster (webhooks see it). */
  controllerManager: CertifiedKey;
  developer: CertifiedKey;
  saPublic: string;
  saPrivate: string;
}

function makePki(extraIPs: readonly string[] = []): Pki {
  const ca = createCertificate({ commonName: 'driftgate-test-ca', usage: 'ca' });
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ca,
    serving: createCertificate({
      commonName: 'kube-apiserver',
      usage: 'server',
      issuer: ca,
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '10.96.0.1', ...extraIPs],
    }),
    admin: createCertificate({
      commonName: 'admin',
      organizations: ['system:masters'],
      usage: 'client',
      issuer: ca,
    }),
    // system:masters too: with --use-service-account-credentials=false it acts for every controller.
    controllerManager: createCertificate({
      commonName: 'system:kube-controller-manager',
      organizations: ['system:masters'],
      usage: 'client',
      issuer: ca,
    }),
    developer: createCertificate({
      commonName: DEVELOPER_USER,
      organizations: [DEVELOPER_GROUP],
      usage: 'client',
      issuer: ca,
    }),
    saPublic: sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    saPrivate: sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** ClusterRole for the developer: workloads and config in any namespace; nothing cluster-scoped. */
const DEVELOPER_RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: driftgate-test:developer }
rules:
- apiGroups: ["", "apps", "batch", "autoscaling", "policy", "networking.k8s.io"]
  resources: [pods, pods/log, services, configmaps, secrets, deployments, deployments/scale,
    replicasets, statefulsets, statefulsets/scale, daemonsets, jobs, cronjobs,
    horizontalpodautoscalers, poddisruptionbudgets, ingresses, networkpolicies, serviceaccounts,
    persistentvolumeclaims, events]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: driftgate-test:developers }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: driftgate-test:developer }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: "${DEVELOPER_GROUP}" }]
---
apiVersion: v1
kind: Namespace
metadata: { name: ${DRIFTGATE_NAMESPACE} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${RECONCILER_SA}, namespace: ${DRIFTGATE_NAMESPACE} }
---
# A GitOps reconciler applies arbitrary kinds; the test control plane grants it cluster-admin.
# The chart narrows this with its own least-privilege roles.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: driftgate-test:reconciler }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: ${RECONCILER_SA}, namespace: ${DRIFTGATE_NAMESPACE} }]
`;

const kwokNode = (name: string): string => `
apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations: { node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake }
  labels: { kubernetes.io/hostname: ${name}, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok }
status:
  allocatable: { cpu: "32", memory: 256Gi, ephemeral-storage: 100Gi, pods: "110" }
  capacity: { cpu: "32", memory: 256Gi, ephemeral-storage: 100Gi, pods: "110" }
`;

/** GET https://127.0.0.1:port/path with the admin client certificate; resolves the status code. */
function httpsStatus(url: string, pki: Pki): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function runKubectl(
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      toolPath('kubectl'),
      ['--kubeconfig', kubeconfig, ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

async function mustKubectl(
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): Promise<string> {
  const r = await runKubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Start etcd and kube-apiserver (and with `workloads`, controller-manager, scheduler and a kwok
 * node) on free loopback ports in a fresh temp directory. Resolves once /readyz answers and the
 * identities are set up. Throws with the failing component's log path; call stop() either way.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-cp-'));
  const procs: Supervised[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Thrown away with its data: SIGKILL, not a graceful shutdown (about 1 s per file saved).
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await boot(dir, procs, stop, options);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function boot(
  dir: string,
  procs: Supervised[],
  stop: () => Promise<void>,
  options: ControlPlaneOptions,
): Promise<ControlPlane> {
  const pki = makePki(options.nodeIP ? [options.nodeIP] : []);
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const caFile = file('ca.crt', pki.ca.certPem);
  const [etcdPort, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  procs.push(
    supervise(
      'etcd',
      toolPath('etcd'),
      [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    ),
  );
  await waitFor(
    'etcd /health (see ' + join(dir, 'etcd.log') + ')',
    async () => {
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok;
    },
    30_000,
  );

  const apiArgs = [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${options.nodeIP ? '0.0.0.0' : '127.0.0.1'}`,
    `--advertise-address=${options.nodeIP ?? '127.0.0.1'}`,
    // The real node's name resolves nowhere: reach its kubelet (logs, exec) by its IP, as admin.
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    `--kubelet-client-certificate=${file('kubelet-client.crt', pki.admin.certPem)}`,
    `--kubelet-client-key=${file('kubelet-client.key', pki.admin.keyPem)}`,
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${file('apiserver.crt', pki.serving.certPem)}`,
    `--tls-private-key-file=${file('apiserver.key', pki.serving.keyPem)}`,
    `--client-ca-file=${caFile}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${file('sa.pub', pki.saPublic)}`,
    `--service-account-signing-key-file=${file('sa.key', pki.saPrivate)}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    '--profiling=false',
    '--tls-min-version=VersionTLS12',
    '--v=1',
    ...(options.apiServerArgs ?? []),
  ];
  const apiLog = join(dir, 'kube-apiserver.log');
  const startApi = async (): Promise<Supervised> => {
    const proc = supervise('kube-apiserver', toolPath('kube-apiserver'), apiArgs, apiLog);
    await waitFor(
      `kube-apiserver /readyz (see ${apiLog})`,
      async () => {
        if (proc.child.exitCode !== null)
          throw new Error(`kube-apiserver exited ${proc.child.exitCode}`);
        return (await httpsStatus(`${server}/readyz`, pki)) === 200;
      },
      90_000,
      200,
    );
    return proc;
  };
  let api = await startApi();
  procs.push(api);

  const kubeconfigs = {
    admin: join(dir, 'admin.kubeconfig'),
    developer: join(dir, 'developer.kubeconfig'),
    reconciler: join(dir, 'reconciler.kubeconfig'),
  };
  writeKubeconfig(kubeconfigs.admin, server, pki.ca.certPem, 'admin', pki.admin);
  writeKubeconfig(kubeconfigs.developer, server, pki.ca.certPem, DEVELOPER_USER, pki.developer);
  await mustKubectl(kubeconfigs.admin, ['apply', '-f', '-'], DEVELOPER_RBAC);
  const token = await mustKubectl(kubeconfigs.admin, [
    'create',
    'token',
    RECONCILER_SA,
    '-n',
    DRIFTGATE_NAMESPACE,
    '--duration=24h',
  ]);
  writeKubeconfig(kubeconfigs.reconciler, server, pki.ca.certPem, RECONCILER_SA, {
    token: token.trim(),
  });

  const cmKubeconfig = join(dir, 'controller-manager.kubeconfig');
  writeKubeconfig(cmKubeconfig, server, pki.ca.certPem, 'cm', pki.controllerManager);
  if (options.workloads)
    await startWorkloadComponents(
      dir,
      procs,
      { admin: kubeconfigs.admin, cm: cmKubeconfig },
      caFile,
      file('sa.key', pki.saPrivate),
    );

  return {
    dir,
    server,
    caPem: pki.ca.certPem,
    ca: pki.ca,
    kubeconfigs,
    kubeConfig(as = Identity.admin) {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigs[as]);
      return kc;
    },
    kubectl(args, opts = {}) {
      return runKubectl(kubeconfigs[opts.as ?? Identity.admin], args, opts.input);
    },
    async restartApiServer() {
      await api.stop();
      procs.splice(procs.indexOf(api), 1);
      api = await startApi();
      procs.push(api);
    },
    stop,
  };
}

async function startWorkloadComponents(
  dir: string,
  procs: Supervised[],
  kubeconfigs: { readonly admin: string; readonly cm: string },
  caFile: string,
  saKeyFile: string,
): Promise<void> {
  const adminKubeconfig = kubeconfigs.admin;
  const kube = (name: string): string[] => [
    `--kubeconfig=${name === 'cm' ? kubeconfigs.cm : adminKubeconfig}`,
    `--authentication-kubeconfig=${adminKubeconfig}`,
    `--authorization-kubeconfig=${adminKubeconfig}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    `--v=${name === 'cm' ? 1 : 0}`,
  ];
  const [cmPort, schedPort, kwokPort] = [await freePort(), await freePort(), await freePort()];
  procs.push(
    supervise(
      'kube-controller-manager',
      toolPath('kube-controller-manager'),
      [
        ...kube('cm'),
        `--secure-port=${cmPort}`,
        `--service-account-private-key-file=${saKeyFile}`,
        `--root-ca-file=${caFile}`,
        '--use-service-account-credentials=false',
        '--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle',
      ],
      join(dir, 'kube-controller-manager.log'),
    ),
    supervise(
      'kube-scheduler',
      toolPath('kube-scheduler'),
      [...kube('sched'), `--secure-port=${schedPort}`],
      join(dir, 'kube-scheduler.log'),
    ),
    supervise(
      'kwok',
      toolPath('kwok'),
      [
        `--kubeconfig=${adminKubeconfig}`,
        `--config=${join(dirname(toolPath('kwok')), 'kwok-stages.yaml')}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--manage-nodes-with-label-selector=',
        '--manage-single-node=',
        '--cidr=10.244.0.0/24',
        '--node-ip=10.0.0.1',
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
      ],
      join(dir, 'kwok.log'),
    ),
  );
  await mustKubectl(adminKubeconfig, ['apply', '-f', '-'], kwokNode(KWOK_NODE));
  await mustKubectl(adminKubeconfig, [
    'wait',
    '--for=condition=Ready',
    `node/${KWOK_NODE}`,
    '--timeout=90s',
  ]);
  // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
  await waitFor(
    'the default ServiceAccount',
    async () => {
      const r = await runKubectl(adminKubeconfig, [
        'get',
        'serviceaccount',
        'default',
        '-n',
        'default',
      ]);
      return r.code === 0;
    },
    60_000,
    250,
  );
}

/** Make a namespace for one test case; returns its name. */
export async function createNamespace(cp: ControlPlane, prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await mustKubectl(cp.kubeconfigs.admin, ['create', 'namespace', name]);
  return name;
}

/** Messages of the Events with `reason` in `namespace`, space-separated. */
export async function eventMessages(
  cp: ControlPlane,
  namespace: string,
  reason: string,
): Promise<string> {
  return mustKubectl(cp.kubeconfigs.admin, [
    'get',
    'events',
    '-n',
    namespace,
    '--field-selector',
    `reason=${reason}`,
    '-o',
    'jsonpath={.items[*].message}',
  ]);
}
