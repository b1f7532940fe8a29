/**
 * The host side of the real node: what it changes on this machine and how all of it is undone
 * (processes, container cgroups, mounts, network namespaces, links, nftables tables, sysctls),
 * also after a crash: teardownHost() works from what it finds, not from what a run remembers.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NODE_BRIDGE, NODE_IP, NODE_LOG_DIR, POD_BRIDGE, ROOT_DIR, STATE_DIR } from './configs.js';

const exec = promisify(execFile);

/** Run a command; `tolerate` turns a failure into `false` (teardown undoes what may not exist). */
export async function run(
  cmd: string,
  args: readonly string[],
  tolerate = false,
): Promise<boolean> {
  try {
    await exec(cmd, args, { timeout: 30_000 });
    return true;
  } catch (err) {
    if (tolerate) return false;
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Kernel settings the kubelet and the node's network change; restored at teardown. */
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
];
const SAVED_SYSCTLS = join(ROOT_DIR, 'sysctls.json');
const CGROUP_ROOT = '/sys/fs/cgroup';

/** Why this machine cannot run a real node, or undefined when it can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'a real node needs root (containerd, kubelet, network setup)';
  if (
    !existsSync(join(CGROUP_ROOT, 'memory')) &&
    !existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))
  )
    return 'no memory cgroup controller under /sys/fs/cgroup';
  for (const bin of [
    '/usr/bin/containerd',
    '/usr/sbin/runc',
    '/usr/lib/cni/bridge',
    '/usr/sbin/nft',
  ])
    if (!existsSync(bin) && !existsSync(bin.replace('/usr/sbin/', '/usr/bin/')))
      return `${bin} is missing (scripts/tools.sh installs it from Debian)`;
  return undefined;
}

/** Save the sysctls (once: a crashed run's originals are restored by the next teardown first). */
function saveSysctls(): void {
  if (existsSync(SAVED_SYSCTLS)) return;
  const saved: Record<string, string> = {};
  for (const key of SYSCTLS) {
    const path = join('/proc/sys', key);
    if (existsSync(path)) saved[key] = readFileSync(path, 'utf8').trim();
  }
  writeFileSync(SAVED_SYSCTLS, JSON.stringify(saved));
}

function restoreSysctls(): void {
  if (!existsSync(SAVED_SYSCTLS)) return;
  const saved = JSON.parse(readFileSync(SAVED_SYSCTLS, 'utf8')) as Record<string, string>;
  for (const [key, value] of Object.entries(saved)) {
    try {
      writeFileSync(join('/proc/sys', key), value);
    } catch {
      // A key this kernel refuses to set back is left as it is; the others are still restored.
    }
  }
}

/** Create the node's directories and bridge, and turn on forwarding; teardownHost() undoes it. */
export async function prepareHost(): Promise<void> {
  for (const dir of [STATE_DIR, ROOT_DIR, join(STATE_DIR, 'cni')])
    mkdirSync(dir, { recursive: true });
  saveSysctls();
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  const bridgeNf = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  if (existsSync(bridgeNf)) writeFileSync(bridgeNf, '1');
  await run('ip', ['link', 'add', NODE_BRIDGE, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', NODE_BRIDGE]);
  await run('ip', ['link', 'set', NODE_BRIDGE, 'up']);
}

/** Every process whose command line names the node's directories (daemons and shims). */
function nodeProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if ([STATE_DIR, ROOT_DIR, NODE_LOG_DIR].some((d) => cmdline.includes(d)))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** The container cgroups the kubelet made (cgroupfs driver: <controller>/kubepods/…), deepest first. */
function podCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) walk(join(dir, e.name));
    found.push(dir);
  };
  for (const controller of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : []) {
    const dir = join(CGROUP_ROOT, controller, 'kubepods');
    if (existsSync(dir)) walk(dir);
  }
  return found;
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Mount points under the node's directories or its network namespaces, deepest first. */
function nodeMounts(): string[] {
  const mine = (p: string): boolean =>
    p.startsWith(STATE_DIR) || p.startsWith(ROOT_DIR) || /^\/(var\/)?run\/netns\/cni-/.test(p);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter(mine)
    .sort((a, b) => b.length - a.length);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Undo everything a real node did to this machine. Safe to run when nothing is there. */
export async function teardownHost(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = [...nodeProcesses(), ...podCgroups().flatMap(cgroupPids)];
    if (pids.length === 0) break;
    killAll(pids);
    await sleep(100);
  }
  for (const dir of podCgroups()) await run('rmdir', [dir], true);
  for (const mount of nodeMounts()) await run('umount', ['-l', mount], true);
  for (const dir of ['/run/netns']) {
    if (!existsSync(dir)) continue;
    for (const ns of readdirSync(dir))
      if (ns.startsWith('cni-')) rmSync(join(dir, ns), { force: true });
  }
  await run('ip', ['link', 'del', POD_BRIDGE], true);
  await run('ip', ['link', 'del', NODE_BRIDGE], true);
  for (const family of ['ip', 'ip6'])
    await run('nft', ['delete', 'table', family, 'kube-proxy'], true);
  restoreSysctls();
  // Paths the kubelet and CNI do not let us move: pod logs and CNI's result cache.
  for (const dir of ['/var/log/pods', '/var/log/containers'])
    rmSync(dir, { recursive: true, force: true });
  const cniCache = '/var/lib/cni/results';
  if (existsSync(cniCache))
    for (const f of readdirSync(cniCache))
      if (f.startsWith('driftgate-')) rmSync(join(cniCache, f), { force: true });
  rmSync(STATE_DIR, { recursive: true, force: true });
  rmSync(ROOT_DIR, { recursive: true, force: true });
}
