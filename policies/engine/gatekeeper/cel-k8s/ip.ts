// The Kubernetes CEL IP and CIDR libraries: ip(), isIP(), ip.isCanonical(), cidr(), isCIDR()
// and their methods, as Go's net/netip reads addresses (no zones, no IPv4-mapped IPv6, no
// leading zeros). An address or prefix is a CEL map tagged with its text. Pure.
import { celFunc, celMethod, CelScalar, mapType, type CelMap } from '@bufbuild/cel';
import { formatV4, formatV6, parseV4, parseV6 } from '../../ip-text.js';

const { STRING, INT, BOOL, DYN } = CelScalar;
export const IP_TYPE = mapType(STRING, DYN);
const IP_TAG = '\u0000k8s.ip';
const CIDR_TAG = '\u0000k8s.cidr';

interface Addr {
  readonly v6: boolean;
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
}

/** An address as netip.ParseAddr reads it, without zones or IPv4-mapped IPv6. Pure. */
export function parseIp(s: string): Addr | undefined {
  if (s.length > 64) return undefined;
  const v4 = parseV4(s);
  if (v4 !== undefined) return { v6: false, value: v4 };
  if (!s.includes(':') || s.includes('%')) return undefined;
  const v6 = parseV6(s);
  if (v6 === undefined || v6 >> 32n === 0xffffn) return undefined;
  return { v6: true, value: v6 };
}

/** The canonical text (RFC 5952 for IPv6). Pure. */
export const formatIp = (a: Addr): string => (a.v6 ? formatV6(a.value) : formatV4(a.value));

interface Prefix {
  readonly addr: Addr;
  readonly bits: number;
}
/** `addr/bits` as netip.ParsePrefix reads it. Pure. */
export function parseCidr(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? undefined : parseIp(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (!addr || !/^(0|[1-9]\d{0,2})$/.test(len)) return undefined;
  const bits = Number(len);
  return bits > (addr.v6 ? 128 : 32) ? undefined : { addr, bits };
}

const width = (a: Addr): bigint => (a.v6 ? 128n : 32n);
const masked = (p: Prefix): Addr => {
  const host = width(p.addr) - BigInt(p.bits);
  return { v6: p.addr.v6, value: (p.addr.value >> host) << host };
};
const within = (p: Prefix, a: Addr): boolean =>
  a.v6 === p.addr.v6 && masked({ addr: a, bits: p.bits }).value === masked(p).value;
const inRange = (a: Addr, v4: [bigint, number], v6: [bigint, number]): boolean => {
  const [base, bits] = a.v6 ? v6 : v4;
  return within({ addr: { v6: a.v6, value: base }, bits }, a);
};

const ipTagged = (a: Addr) => new Map([[IP_TAG, formatIp(a)]]);
const cidrTagged = (p: Prefix) => new Map([[CIDR_TAG, `${formatIp(p.addr)}/${p.bits}`]]);
function ipOf(v: CelMap): Addr {
  const s = v.get(IP_TAG);
  const a = typeof s === 'string' && v.size === 1 ? parseIp(s) : undefined;
  if (!a) throw new Error('no such overload: not an IP address');
  return a;
}
function cidrOf(v: CelMap): Prefix {
  const s = v.get(CIDR_TAG);
  const p = typeof s === 'string' && v.size === 1 ? parseCidr(s) : undefined;
  if (!p) throw new Error('no such overload: not a CIDR');
  return p;
}
const mustIp = (s: string): Addr => {
  const a = parseIp(s);
  if (!a)
    throw new Error(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
  return a;
};
const mustCidr = (s: string): Prefix => {
  const p = parseCidr(s);
  if (!p)
    throw new Error(
      `network address ${JSON.stringify(s)} parse error during conversion from string`,
    );
  return p;
};
const isLoopback = (a: Addr) => (a.v6 ? a.value === 1n : a.value >> 24n === 127n);

export const ipFuncs = [
  celFunc('ip', [STRING], IP_TYPE, (s) => ipTagged(mustIp(s))),
  celFunc('isIP', [STRING], BOOL, (s) => parseIp(s) !== undefined),
  celFunc('ip.isCanonical', [STRING], BOOL, (s) => formatIp(mustIp(s)) === s),
  celFunc('cidr', [STRING], IP_TYPE, (s) => cidrTagged(mustCidr(s))),
  celFunc('isCIDR', [STRING], BOOL, (s) => parseCidr(s) !== undefined),
  celFunc('string', [IP_TYPE], STRING, (v) =>
    v.has(IP_TAG) ? formatIp(ipOf(v)) : `${formatIp(cidrOf(v).addr)}/${cidrOf(v).bits}`,
  ),
  celMethod('family', IP_TYPE, [], INT, function () {
    return ipOf(this).v6 ? 6n : 4n;
  }),
  celMethod('isUnspecified', IP_TYPE, [], BOOL, function () {
    return ipOf(this).value === 0n;
  }),
  celMethod('isLoopback', IP_TYPE, [], BOOL, function () {
    return isLoopback(ipOf(this));
  }),
  celMethod('isLinkLocalMulticast', IP_TYPE, [], BOOL, function () {
    return inRange(ipOf(this), [0xe0000000n, 24], [0xff02n << 112n, 16]);
  }),
  celMethod('isLinkLocalUnicast', IP_TYPE, [], BOOL, function () {
    return inRange(ipOf(this), [0xa9fe0000n, 16], [0xfe80n << 112n, 10]);
  }),
  celMethod('isGlobalUnicast', IP_TYPE, [], BOOL, function () {
    const a = ipOf(this);
    const multicast = inRange(a, [0xe0000000n, 4], [0xffn << 120n, 8]);
    const linkLocal = inRange(a, [0xa9fe0000n, 16], [0xfe80n << 112n, 10]);
    const broadcast = !a.v6 && a.value === 0xffffffffn;
    return a.value !== 0n && !isLoopback(a) && !multicast && !linkLocal && !broadcast;
  }),
  celMethod('containsIP', IP_TYPE, [DYN], BOOL, function (x) {
    const a = typeof x === 'string' ? mustIp(x) : ipOf(x as CelMap);
    return within(cidrOf(this), a);
  }),
  celMethod('containsCIDR', IP_TYPE, [DYN], BOOL, function (x) {
    const p = typeof x === 'string' ? mustCidr(x) : cidrOf(x as CelMap);
    const self = cidrOf(this);
    return p.bits >= self.bits && within(self, p.addr);
  }),
  celMethod('ip', IP_TYPE, [], IP_TYPE, function () {
    return ipTagged(cidrOf(this).addr);
  }),
  celMethod('masked', IP_TYPE, [], IP_TYPE, function () {
    const p = cidrOf(this);
    return cidrTagged({ addr: masked(p), bits: p.bits });
  }),
  celMethod('prefixLength', IP_TYPE, [], INT, function () {
    return BigInt(cidrOf(this).bits);
  }),
];
