import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { BlockList, isIP, type LookupFunction, type Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';

/** Where a Git remote may be: never link-local or metadata; private ranges as the platform says. */
export interface RemotePolicy {
  /** Private, loopback and shared ranges (in-cluster Git servers). @default true */
  readonly privateNetworks: boolean;
}

const never = new BlockList();
for (const [net, bits, type] of [
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], // link-local, cloud metadata (169.254.169.254)
  ['224.0.0.0', 4, 'ipv4'],
  ['255.255.255.255', 32, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'], // link-local
  ['fd00:ec2::254', 128, 'ipv6'], // EC2 metadata over IPv6
  ['ff00::', 8, 'ipv6'],
] as const)
  never.addSubnet(net, bits, type);

const privateRanges = new BlockList();
for (const [net, bits, type] of [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
] as const)
  privateRanges.addSubnet(net, bits, type);

/** Why a Git remote may not be dialled at `address`, or undefined. Pure. */
export function addressProblem(address: string, policy: RemotePolicy): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (never.check(ip, type))
    return `${address} is a link-local, metadata or special address, never a Git remote`;
  if (!policy.privateNetworks && privateRanges.check(ip, type))
    return `${address} is a private address and the platform allows public Git remotes only (gitSources.allowPrivateNetworks)`;
  return undefined;
}

/** Thrown before dialling a refused address (its message is safe for status). */
export class RemoteRefused extends Error {
  override readonly name = 'RemoteRefused';
}

/** A DNS lookup that answers only addresses the policy allows (every one of them is checked). */
function guardedLookup(policy: RemotePolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = list.map((a) => addressProblem(a.address, policy)).find(Boolean);
      if (bad) return callback(new RemoteRefused(`${hostname} resolves to ${bad}`), '', 0);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0] as { address: string; family: number };
      callback(null, first.address, first.family);
    });
  };
}

/** The connected socket's peer is checked too (an IP literal, a redirect): refused is cut. */
const checkPeer = (socket: Socket, policy: RemotePolicy): void => {
  socket.once('connect', () => {
    const bad = socket.remoteAddress ? addressProblem(socket.remoteAddress, policy) : undefined;
    if (bad) socket.destroy(new RemoteRefused(bad));
  });
};

/** An agent for Git's HTTP(S) requests that dials only addresses `policy` allows. */
export function guardedAgent(protocol: string, policy: RemotePolicy): HttpAgent {
  const lookup = guardedLookup(policy);
  const Base = protocol === 'https:' ? HttpsAgent : HttpAgent;
  const agent = new Base({ lookup, keepAlive: true });
  const create = agent.createConnection.bind(agent) as (...a: unknown[]) => Socket;
  (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection = (
    ...args: unknown[]
  ) => {
    const socket = create(...args);
    checkPeer(socket, policy);
    return socket;
  };
  return agent;
}

/** Why a remote URL is refused before any request (an IP literal host), or undefined. */
export function urlProblem(url: string, policy: RemotePolicy): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
  return isIP(host) ? addressProblem(host, policy) : undefined;
}
