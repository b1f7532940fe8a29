// OPA's time.format and time.parse_ns with Go's layouts ("2006-01-02T15:04:05Z07:00"), checked
// against `opa eval` (test/policies/engine/builtins-reference.test.ts). Zones: UTC, Local (this
// process runs in UTC) and IANA names through Intl; a parsed zone abbreviation other than UTC has
// a zero offset, as in Go.

import { nsOf } from './time-ns.js';
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Go's layout elements, longest first where one is a prefix of another. */
const ELEMENTS = [
  'January',
  'Jan',
  'Monday',
  'Mon',
  'MST',
  '2006',
  '002',
  '__2',
  '_2',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '15',
  '1',
  '2',
  '3',
  '4',
  '5',
  'PM',
  'pm',
  '-070000',
  '-07:00:00',
  '-0700',
  '-07:00',
  '-07',
  'Z070000',
  'Z07:00:00',
  'Z0700',
  'Z07:00',
  'Z07',
];

type Chunk = { el?: string; text: string };
/** A layout as literal text and Go's elements (fractions `.000`/`.999` too). Pure. */
export function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let lit = '';
  for (let i = 0; i < layout.length;) {
    // A run of 0s or 9s after a dot or comma (then no digit) is a fraction of a second.
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    const el = frac ? frac[0] : ELEMENTS.find((e) => layout.startsWith(e, i));
    if (el) {
      if (lit) out.push({ text: lit });
      lit = '';
      out.push({ el, text: el });
      i += el.length;
    } else lit += layout[i++];
  }
  if (lit) out.push({ text: lit });
  return out;
}

/** A wall-clock time and its zone offset (seconds east of UTC). */
export interface WallClock {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ns: number;
  off: number;
}

interface Parts extends WallClock {
  wd: number;
  yd: number;
  abbr: string;
}

/**
 * The zone's abbreviation as Go's tzdata writes it: a lettered one where a locale knows it
 * (en-US, then en-GB), else Go's numeric form (`+03`, `+0530`).
 */
function abbreviation(zone: string, ms: number, off: number): string {
  for (const locale of ['en-US', 'en-GB']) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((x) => x.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{3,5}$/.test(name) && !name.startsWith('GMT')) return name;
  }
  const a = Math.abs(off);
  const mm = Math.floor((a % 3600) / 60);
  return `${off < 0 ? '-' : '+'}${pad(Math.floor(a / 3600), 2)}${mm ? pad(mm, 2) : ''}`;
}

/** The wall-clock parts of `ns` in `zone` (its offset from Intl for an IANA name). */
export function partsOf(ns: bigint, zone: string): Parts {
  const ms = Number(ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n));
  let off = 0;
  let abbr = 'UTC';
  if (zone !== '' && zone !== 'UTC' && zone !== 'Local') {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      timeZoneName: 'short',
    });
    const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    const wall = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    off = Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000) * 60;
    abbr = abbreviation(zone, ms, off);
  }
  const d = new Date(ms + off * 1000);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth() + 1,
    d: d.getUTCDate(),
    h: d.getUTCHours(),
    mi: d.getUTCMinutes(),
    s: d.getUTCSeconds(),
    ns: Number(sub),
    wd: d.getUTCDay(),
    yd: Math.floor((d.getTime() - start) / 86_400_000) + 1,
    off,
    abbr,
  };
}

const pad = (n: number, w: number, c = '0') => String(n).padStart(w, c);
/** ±hh<sep>mm[<sep>ss], as Go writes a numeric zone. */
function numericZone(off: number, sep: string, seconds: boolean): string {
  const a = Math.abs(off);
  const hm = `${pad(Math.floor(a / 3600), 2)}${sep}${pad(Math.floor((a % 3600) / 60), 2)}`;
  return `${off < 0 ? '-' : '+'}${hm}${seconds ? `${sep}${pad(a % 60, 2)}` : ''}`;
}
function zone(el: string, p: Parts): string {
  if (el.startsWith('Z') && p.off === 0) return 'Z';
  const base = el.replace('Z', '-');
  if (base === '-07')
    return `${p.off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(p.off) / 3600), 2)}`;
  return numericZone(p.off, base.includes(':') ? ':' : '', base.length > 6);
}

function element(el: string, p: Parts): string {
  const h12 = p.h % 12 === 0 ? 12 : p.h % 12;
  const table: Record<string, () => string> = {
    January: () => MONTHS[p.mo - 1] as string,
    Jan: () => (MONTHS[p.mo - 1] as string).slice(0, 3),
    Monday: () => DAYS[p.wd] as string,
    Mon: () => (DAYS[p.wd] as string).slice(0, 3),
    MST: () => p.abbr,
    '2006': () => pad(p.y, 4),
    '06': () => pad(p.y % 100, 2),
    '002': () => pad(p.yd, 3),
    __2: () => pad(p.yd, 3, ' '),
    _2: () => pad(p.d, 2, ' '),
    '01': () => pad(p.mo, 2),
    '1': () => String(p.mo),
    '02': () => pad(p.d, 2),
    '2': () => String(p.d),
    '15': () => pad(p.h, 2),
    '03': () => pad(h12, 2),
    '3': () => String(h12),
    '04': () => pad(p.mi, 2),
    '4': () => String(p.mi),
    '05': () => pad(p.s, 2),
    '5': () => String(p.s),
    PM: () => (p.h >= 12 ? 'PM' : 'AM'),
    pm: () => (p.h >= 12 ? 'pm' : 'am'),
  };
  const f = table[el];
  if (f) return f();
  if (/^[.,]/.test(el)) {
    const digits = pad(p.ns, 9).slice(0, el.length - 1);
    if (el[1] === '0') return el[0] + digits;
    const trimmed = digits.replace(/0+$/, '');
    return trimmed ? el[0] + trimmed : '';
  }
  return zone(el, p);
}

/** Go's named layouts (time.RFC3339 and friends), which OPA's time.format takes by name. */
const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

/** A timestamp, or [timestamp, zone], as OPA's time builtins take it: its wall-clock parts. */
export function partsOfArg(x: unknown, name: string): Parts {
  const [ns, tz = 'UTC'] = Array.isArray(x) ? x : [x];
  if (typeof tz !== 'string') throw new Error(`${name}: the time zone must be a string`);
  const at = nsOf(ns, name);
  try {
    return partsOf(at, tz);
  } catch {
    throw new Error(`${name}: unknown time zone ${tz}`);
  }
}

export function timeFormat(x: unknown): string {
  const [, , named = 'RFC3339Nano'] = Array.isArray(x) ? x : [x];
  if (typeof named !== 'string')
    throw new Error('time.format: operand 1 must be a number or [number, zone, layout]');
  const layout = NAMED_LAYOUTS[named] ?? named;
  const p = partsOfArg(x, 'time.format');
  return chunks(layout)
    .map((c) => (c.el ? element(c.el, p) : c.text))
    .join('');
}
