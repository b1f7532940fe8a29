/**
 * startNode(): a real node beside a test control plane. containerd (Debian's, runc) runs the
 * containers, a kubelet and kube-proxy (nftables) from the pinned kubernetes build register and
 * serve it, CoreDNS on the node IP answers the cluster's names, and pods get addresses from the
 * CNI bridge plugin. One per machine (fixed paths and ports); the control plane must have been
 * started with `nodeIP: NODE_IP` so pods reach the apiserver through the kubernetes Service.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { createCertificate } from '../../../webhook/tls/pki.js';
import type { ControlPlane } from '../control-plane.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { supervise, waitFor, type Supervised } from '../processes.js';
import { toolPath } from '../tools.js';
import {
  cniConfig,
  CONTAINERD_SOCK,
  containerdConfig,
  corefile,
  kubeletConfig,
  kubeProxyConfig,
  NODE_IP,
  NODE_LOG_DIR,
  NODE_NAME,
  ROOT_DIR,
  STATE_DIR,
} from './configs.js';
import { prepareHost, run, skipReason, teardownHost } from './host.js';
import { buildPauseImage, importImage } from './images.js';

export { NODE_IP, NODE_NAME } from './configs.js';

export interface RealNode {
  readonly name: string;
  readonly ip: string;
  /** Import a docker-archive tar into the node's containerd. */
  importImage(tar: string): Promise<void>;
  /** Stop everything and undo every change to the host. Safe to call twice. */
  stop(): Promise<void>;
}

/** Why a real node cannot run here (the test skips with it), or undefined. */
export function realNodeSkipReason(): string | undefined {
  return skipReason();
}

const logFile = (name: string): string => join(NODE_LOG_DIR, `${name}.log`);

function file(name: string, content: string): string {
  const path = join(STATE_DIR, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** Start containerd and wait until it answers; import the pause image. */
async function startContainerd(procs: Supervised[]): Promise<void> {
  const config = file('containerd.toml', containerdConfig());
  const proc = supervise('containerd', 'containerd', ['--config', config], logFile('containerd'));
  procs.push(proc);
  await waitFor(
    `containerd (see ${proc.logFile})`,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`containerd exited ${proc.child.exitCode}`);
      return run('ctr', ['--address', CONTAINERD_SOCK, 'version'], true);
    },
    30_000,
    200,
  );
  await importImage(await buildPauseImage(join(ROOT_DIR, 'pause.tar')));
}

function nodeCredentials(cp: ControlPlane): {
  kubeconfig: string;
  certFile: string;
  keyFile: string;
} {
  // The node's client identity; system:masters as well, as the harness runs no Node authorizer.
  const client = createCertificate({
    commonName: `system:node:${NODE_NAME}`,
    organizations: ['system:nodes', 'system:masters'],
    usage: 'client',
    issuer: cp.ca,
  });
  const serving = createCertificate({
    commonName: NODE_NAME,
    usage: 'server',
    issuer: cp.ca,
    dnsNames: [NODE_NAME],
    ipAddresses: [NODE_IP],
  });
  const kubeconfig = join(STATE_DIR, 'node.kubeconfig');
  writeKubeconfig(kubeconfig, cp.server, cp.caPem, 'node', client);
  return {
    kubeconfig,
    certFile: file('kubelet.crt', serving.certPem),
    keyFile: file('kubelet.key', serving.keyPem),
  };
}

async function startKubelet(cp: ControlPlane, procs: Supervised[]): Promise<void> {
  const creds = nodeCredentials(cp);
  const config = file(
    'kubelet.json',
    kubeletConfig({
      caFile: file('ca.crt', cp.caPem),
      certFile: creds.certFile,
      keyFile: creds.keyFile,
      resolvConf: file('resolv.conf', `nameserver ${NODE_IP}\n`),
    }),
  );
  const proc = supervise(
    'kubelet',
    toolPath('kubelet'),
    [
      `--config=${config}`,
      `--kubeconfig=${creds.kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      `--root-dir=${join(ROOT_DIR, 'kubelet')}`,
      `--cert-dir=${join(ROOT_DIR, 'kubelet-pki')}`,
      '--v=1',
    ],
    logFile('kubelet'),
  );
  procs.push(proc);
  await waitFor(
    `node ${NODE_NAME} Ready (see ${proc.logFile})`,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`kubelet exited ${proc.child.exitCode}`);
      const r = await cp.kubectl([
        'wait',
        '--for=condition=Ready',
        `node/${NODE_NAME}`,
        '--timeout=2s',
      ]);
      return r.code === 0;
    },
    90_000,
    500,
  );
}

async function startServiceNetwork(cp: ControlPlane, procs: Supervised[]): Promise<void> {
  const admin = cp.kubeconfigs.admin;
  procs.push(
    supervise(
      'kube-proxy',
      toolPath('kube-proxy'),
      [`--config=${file('kube-proxy.json', kubeProxyConfig(admin))}`, '--v=1'],
      logFile('kube-proxy'),
    ),
    supervise(
      'coredns',
      toolPath('coredns'),
      ['-conf', file('Corefile', corefile(admin))],
      logFile('coredns'),
    ),
  );
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([NODE_IP]);
  await waitFor(
    'CoreDNS answering kubernetes.default.svc.cluster.local',
    async () => (await resolver.resolve4('kubernetes.default.svc.cluster.local')).length > 0,
    30_000,
    250,
  );
}

/**
 * Start the node and wait until it is Ready, DNS answers and Services route. Throws with the
 * failing part's log; everything is undone when start fails. Cordons the kwok node, if any.
 */
export async function startNode(cp: ControlPlane): Promise<RealNode> {
  const reason = skipReason();
  if (reason) throw new Error(`a real node cannot run here: ${reason}`);
  await teardownHost();
  rmSync(NODE_LOG_DIR, { recursive: true, force: true });
  mkdirSync(NODE_LOG_DIR, { recursive: true });
  const procs: Supervised[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const p of [...procs].reverse()) await p.stop('SIGKILL');
    await teardownHost();
  };
  try {
    await prepareHost();
    writeFileSync(join(STATE_DIR, 'cni', '10-driftgate.conflist'), cniConfig());
    await startContainerd(procs);
    await startKubelet(cp, procs);
    await startServiceNetwork(cp, procs);
    await cp.kubectl(['cordon', 'kwok-node-0']);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: NODE_NAME, ip: NODE_IP, importImage, stop };
}
