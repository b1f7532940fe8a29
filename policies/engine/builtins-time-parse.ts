// OPA's time.parse_ns: a value read along a Go layout, as Go's time.Parse reads it (a fraction
// after the seconds even when the layout has none; a zone abbreviation other than UTC has a zero
// offset), to nanoseconds since the epoch, exact. Checked against `opa eval`.
import { chunks, DAYS, MONTHS, type WallClock } from './builtins-time.js';
import { exactJson } from './exact-json.js';

class Reader {
  i = 0;
  constructor(readonly v: string) {}
  fail(): never {
    throw new Error(`time.parse_ns: cannot parse ${JSON.stringify(this.v)}`);
  }
  num(min: number, max: number): number {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(this.v.slice(this.i));
    if (!m) return this.fail();
    this.i += m[0].length;
    return Number(m[0]);
  }
  word(list: readonly string[]): number {
    const rest = this.v.slice(this.i).toLowerCase();
    const k = list.findIndex((w) => rest.startsWith(w.toLowerCase()));
    if (k < 0) return this.fail();
    this.i += (list[k] as string).length;
    return k;
  }
  take(text: string): void {
    if (!this.v.startsWith(text, this.i)) this.fail();
    this.i += text.length;
  }
  fraction(): number {
    const m = /^[.,](\d+)/.exec(this.v.slice(this.i));
    if (!m) return 0;
    this.i += m[0].length;
    return Number((m[1] as string).slice(0, 9).padEnd(9, '0'));
  }
  abbreviation(): void {
    const m = /^(?:[A-Z]{3,5}|[A-Z]{3}[+-]\d{1,2})/.exec(this.v.slice(this.i));
    if (!m) this.fail();
    this.i += m[0].length;
  }
  zone(el: string): number {
    if (el.startsWith('Z') && this.v[this.i] === 'Z') {
      this.i++;
      return 0;
    }
    const c = this.v[this.i];
    if (c !== '-' && c !== '+') return this.fail();
    this.i++;
    const digits = el.replace(/[-Z:]/g, '').length;
    const part = (n: number) => {
      if (digits < n) return 0;
      if (el.includes(':')) this.take(':');
      return this.num(2, 2);
    };
    const h = this.num(2, 2);
    const offset = h * 3600 + part(4) * 60 + part(6);
    return c === '-' ? -offset : offset;
  }
}

interface Wall extends WallClock {
  pm?: boolean;
}

const width = (el: string): number => (el.length === 2 ? 2 : 1);
const short = (names: readonly string[]) => names.map((n) => n.slice(0, 3));

/** Read one layout element into `t`. */
function read(el: string, r: Reader, t: Wall, fractionNext: boolean): void {
  switch (el) {
    case 'January':
    case 'Jan':
      t.mo = r.word(el === 'Jan' ? short(MONTHS) : MONTHS) + 1;
      return;
    case 'Monday':
    case 'Mon':
      r.word(el === 'Mon' ? short(DAYS) : DAYS);
      return;
    case 'MST':
      return r.abbreviation();
    case '2006':
      t.y = r.num(4, 4);
      return;
    case '06': {
      const y = r.num(2, 2);
      t.y = y >= 69 ? 1900 + y : 2000 + y;
      return;
    }
    case '01':
    case '1':
      t.mo = r.num(width(el), 2);
      return;
    case '02':
    case '2':
      t.d = r.num(width(el), 2);
      return;
    case '_2':
      if (r.v[r.i] === ' ') r.i++;
      t.d = r.num(1, 2);
      return;
    case '002':
    case '__2':
      r.num(el === '002' ? 3 : 1, 3);
      return;
    case '15':
      t.h = r.num(1, 2);
      return;
    case '03':
    case '3':
      t.h = r.num(width(el), 2);
      return;
    case '04':
    case '4':
      t.mi = r.num(width(el), 2);
      return;
    case '05':
    case '5':
      t.s = r.num(width(el), 2);
      if (!fractionNext) t.ns = r.fraction();
      return;
    case 'PM':
    case 'pm':
      t.pm = r.word(el === 'PM' ? ['AM', 'PM'] : ['am', 'pm']) === 1;
      return;
  }
  if (/^[.,]/.test(el)) t.ns = r.fraction();
  else t.off = r.zone(el);
}

const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, mo: number) =>
  mo === 2 ? (leap(y) ? 29 : 28) : new Date(Date.UTC(2001, mo, 0)).getUTCDate();

export function timeParseNs(layout: string, value: string): unknown {
  if (typeof layout !== 'string' || typeof value !== 'string')
    throw new Error('time.parse_ns: operands must be strings');
  const r = new Reader(value);
  const t: Wall = { y: 0, mo: 1, d: 1, h: 0, mi: 0, s: 0, ns: 0, off: 0 };
  const list = chunks(layout);
  list.forEach((c, k) => {
    if (c.el) read(c.el, r, t, /^[.,]/.test(list[k + 1]?.el ?? ''));
    else r.take(c.text);
  });
  if (r.i !== value.length) r.fail();
  if (t.pm !== undefined) {
    if (t.h < 1 || t.h > 12) r.fail();
    t.h = (t.h % 12) + (t.pm ? 12 : 0);
  }
  const ok = t.mo >= 1 && t.mo <= 12 && t.d >= 1 && t.d <= daysIn(t.y, t.mo);
  if (!ok || t.h > 23 || t.mi > 59 || t.s > 59)
    throw new Error(`time.parse_ns: parsing time ${JSON.stringify(value)}: value out of range`);
  const d = new Date(0);
  d.setUTCFullYear(t.y, t.mo - 1, t.d);
  d.setUTCHours(t.h, t.mi, t.s, 0);
  return exactJson((BigInt(d.getTime()) / 1000n - BigInt(t.off)) * 1_000_000_000n + BigInt(t.ns));
}
