// IP addresses and CIDRs as Go's net package reads and prints them (ParseIP, ParseCIDR,
// IP.String, IPNet.String), over 128-bit integers: an IPv4 address is held IPv4-mapped
// (::ffff:a.b.c.d), as Go holds it. Pure; no DNS, no zones.

import { formatV4, formatV6, parseV4, parseV6 } from './ip-text.js';

const MAPPED = 0xffffn << 32n;
const V4_SPACE_END = MAPPED | 0xffffffffn;

/** An address, and whether it was written as IPv4 (4 bytes in Go) or IPv6 (16 bytes). */
export interface Ip {
  readonly value: bigint;
  readonly v4: boolean;
}

/** Go's net.ParseIP: IPv4 dotted or IPv6 text; undefined if neither. */
export function parseIp(s: string): Ip | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { value: MAPPED | v4, v4: true };
  if (!s.includes(':')) return undefined;
  const v6 = parseV6(s);
  return v6 === undefined ? undefined : { value: v6, v4: false };
}

export const isMapped = (v: bigint): boolean => v >= MAPPED && v <= V4_SPACE_END;

/** Go's IP.String: dotted for an IPv4(-mapped) address, RFC 5952 for the rest. */
export const formatIp = (v: bigint): string =>
  isMapped(v) ? formatV4(v & 0xffffffffn) : formatV6(v);

/** A network: its first and last address (128-bit), its prefix, and Go's text for it. */
export interface Cidr {
  readonly first: bigint;
  readonly last: bigint;
  /** 32 for an IPv4 CIDR, 128 for IPv6 (an IPv4-mapped one too). */
  readonly bits: 32 | 128;
  readonly prefix: number;
  readonly text: string;
}

/** The range of `ip` under a `prefix` of `bits`, and Go's IPNet.String for `shown`. */
export function network(ip: Ip, prefix: number, shown: bigint): Cidr {
  const bits = ip.v4 ? 32 : 128;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  const first = ip.value & ~host;
  const last = first | host;
  // Go prints an IPv4-mapped network as IPv4, its mask cut to the last 32 bits.
  const shownPrefix = !ip.v4 && isMapped(first) ? Math.max(prefix - 96, 0) : prefix;
  return { first, last, bits, prefix, text: `${formatIp(shown)}/${shownPrefix}` };
}

/** Go's net.ParseCIDR; throws its error text. */
export function parseCidr(s: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const ip = m ? parseIp(m[1] as string) : undefined;
  const prefix = Number(m?.[2]);
  if (!ip || prefix > (ip.v4 ? 32 : 128) || ((m?.[2] ?? '').length > 1 && m?.[2]?.[0] === '0'))
    throw new Error(`invalid CIDR address: ${s}`);
  const bits = ip.v4 ? 32 : 128;
  const host = (1n << BigInt(bits - prefix)) - 1n;
  return network(ip, prefix, ip.value & ~host);
}

/** The largest aligned networks exactly covering first..last (both in one family). */
export function rangeToCidrs(first: bigint, last: bigint): Cidr[] {
  const v4 = isMapped(first);
  const bits = v4 ? 32 : 128;
  const base = v4 ? MAPPED : 0n;
  const out: Cidr[] = [];
  let at = first - base;
  const end = last - base;
  while (at <= end) {
    let size = 0;
    while (
      size < bits &&
      (at & ((1n << BigInt(size + 1)) - 1n)) === 0n &&
      at + (1n << BigInt(size + 1)) - 1n <= end
    )
      size++;
    out.push(network({ value: at + base, v4 }, bits - size, at + base));
    at += 1n << BigInt(size);
  }
  return out;
}
