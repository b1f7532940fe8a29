// IP address text to integers and back, shared by the Rego net.* builtins (Go's net package,
// net-ip.ts) and the Kubernetes CEL ip library (Go's net/netip, gatekeeper/cel-k8s/ip.ts), which
// differ in what they accept around it. Pure.

/** Dotted IPv4 as Go reads it: four decimal octets, no leading zeros. */
export function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

/** IPv6 text (with `::` and an optional dotted IPv4 tail) as a 128-bit integer. */
export function parseV6(s: string): bigint | undefined {
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

/** A 32-bit value in dotted form. */
export const formatV4 = (v: bigint): string =>
  [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');

/** A 128-bit value in RFC 5952 form: lower case, the longest run of two or more zeros as `::`. */
export function formatV6(v: bigint): string {
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
