// IP addresses and CIDRs as Go's net package reads and prints them (ParseIP, ParseCIDR,
// IP.String, IPNet.String), over 128-bit integers: an IPv4 address is held IPv4-mapped
// (::ffff:a.b.c.d), as Go holds it. Pure; no DNS, no zones.

const MAPPED = 0xffffn << 32n;
const V4_SPACE_END = MAPPED | 0xffffffffn;

/** An address, and whether it was written as IPv4 (4 bytes in Go) or IPv6 (16 bytes). */
export interface Ip {
  readonly value: bigint;
  readonly v4: boolean;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Go refuses leading zeros (they read as octal elsewhere) and anything above 255.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  let text = s;
  if (text.includes('.')) {
    // An IPv4 tail (::ffff:1.2.3.4) is two groups.
    const at = text.lastIndexOf(':');
    const v4 = parseV4(text.slice(at + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, at + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const read = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const gs = h.split(':');
    return gs.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))
      ? gs.map((g) => BigInt(`0x${g}`))
      : undefined;
  };
  const head = read(halves[0] ?? '');
  const rest = halves.length === 2 ? read(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...Array<bigint>(8 - given).fill(0n), ...rest];
  return groups.reduce((v, g) => (v << 16n) | g, 0n);
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
export function formatIp(v: bigint): string {
  if (isMapped(v)) {
    const x = v & 0xffffffffn;
    return [24n, 16n, 8n, 0n].map((s) => String((x >> s) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => (v >> BigInt(112 - 16 * i)) & 0xffffn);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: bigint[]) => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

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
