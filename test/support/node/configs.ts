/**
 * The real node's configuration files, as pure functions of its fixed layout (one real node per
 * machine: fixed paths, addresses and ports). See DESIGN.md "A real node in the tests".
 */

export const NODE_NAME = 'driftgate-node-0';
/** The node's address, on a bridge of its own (the kubelet refuses a loopback node IP). */
export const NODE_IP = '172.30.0.1';
export const NODE_BRIDGE = 'dgnode0';
/** The bridge the CNI plugin puts pods on, and their subnet (kwok's simulated pods use .0.0/24). */
export const POD_BRIDGE = 'dgcni0';
export const POD_SUBNET = '10.244.1.0/24';
/** Short paths: containerd's shim sockets live under STATE_DIR (unix socket paths are ≤ 107 bytes). */
export const STATE_DIR = '/run/driftgate-node';
export const ROOT_DIR = '/var/lib/driftgate-node';
/** Logs outlive the node (its directories are removed): one folder, emptied at each start. */
export const NODE_LOG_DIR = '/tmp/driftgate-node-logs';
export const CONTAINERD_SOCK = `${STATE_DIR}/containerd.sock`;
/** The sandbox image, assembled here from the kubernetes module's pause.c (no registry). */
export const PAUSE_IMAGE = 'driftgate.local/pause:3.10';

/** containerd 1.6 (Debian's) with the CRI plugin on runc, CNI from Debian's plugins. */
export function containerdConfig(): string {
  return `version = 2
root = "${ROOT_DIR}/containerd"
state = "${STATE_DIR}/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt"]
[grpc]
  address = "${CONTAINERD_SOCK}"
[ttrpc]
  address = "${CONTAINERD_SOCK}.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # This machine's root lacks CAP_SYS_RESOURCE: a sandbox's oom_score_adj of -998 is refused
  # ("can't get final child's PID from pipe: EOF") unless it is clamped to what may be set.
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${STATE_DIR}/cni"
  # Registries: certs.d/<host:port>/hosts.toml (the release test's registry and its CA).
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${STATE_DIR}/certs.d"
`;
}

/** One bridge network for every pod on the node; host-local addresses kept under STATE_DIR. */
export function cniConfig(): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'driftgate',
    plugins: [
      {
        type: 'bridge',
        bridge: POD_BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: POD_SUBNET }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: `${STATE_DIR}/ipam`,
        },
      },
    ],
  });
}

export interface KubeletFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly resolvConf: string;
}

/** The kubelet on cgroup v1 (cgroupfs), no swap check, eviction thresholds low enough for a VM. */
export function kubeletConfig(files: KubeletFiles): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${CONTAINERD_SOCK}`,
    address: NODE_IP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    tlsCertFile: files.certFile,
    tlsPrivateKeyFile: files.keyFile,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: files.caFile },
    },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [NODE_IP],
    clusterDomain: 'cluster.local',
    resolvConf: files.resolvConf,
    failSwapOn: false,
    protectKernelDefaults: false,
    makeIPTablesUtilChains: false,
    serializeImagePulls: false,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'nodefs.inodesFree': '1%',
    },
    maxPods: 40,
    shutdownGracePeriod: '0s',
  });
}

/** kube-proxy in nftables mode; this machine's conntrack settings are left alone. */
export function kubeProxyConfig(kubeconfig: string): string {
  return JSON.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    hostnameOverride: NODE_NAME,
    mode: 'nftables',
    clusterCIDR: POD_SUBNET,
    conntrack: { maxPerCore: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    metricsBindAddress: '127.0.0.1:10249',
    healthzBindAddress: '127.0.0.1:10256',
    oomScoreAdj: 0,
  });
}

/** CoreDNS on the node IP: the cluster's names only (this machine has no outside DNS to forward to). */
export function corefile(kubeconfig: string): string {
  return `cluster.local:53 in-addr.arpa:53 {
    bind ${NODE_IP}
    errors
    kubernetes cluster.local in-addr.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa
    }
    cache 5
}
.:53 {
    bind ${NODE_IP}
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`;
}
