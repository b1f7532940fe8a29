import { parseDuration } from './duration.js';
import { isObject } from './object.js';

type Raw = Record<string, unknown>;

/** A config that cannot be used; `problems` lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    what = 'configuration',
  ) {
    super(`invalid ${what}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** One config key: its default (absent: required or none) and what it does; `--help` prints it. */
export interface KeyDoc {
  readonly key: string;
  readonly default?: string | number | boolean;
  readonly doc: string;
  /** The keys of a mapping (or of each item of a list of mappings). */
  readonly children?: readonly KeyDoc[];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** The known key closest to a misspelt one (at most a third of its letters off), if any. Pure. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** `--help` text for a key table, one key per line, children indented. Pure. */
export function usage(keys: readonly KeyDoc[], indent = '  '): string {
  return keys
    .map((k) => {
      const def = k.default === undefined || k.default === '' ? '' : ` (${String(k.default)})`;
      const line = `${indent}${k.key}${def}: ${k.doc}`;
      return k.children ? `${line}\n${usage(k.children, `${indent}  `)}` : line;
    })
    .join('\n');
}

/**
 * Reads one mapping of a raw config, collecting every problem instead of throwing, so a bad
 * config is reported whole. Pure: it only reads what it is given.
 */
export class ConfigReader {
  constructor(
    readonly raw: Raw,
    /** Where this mapping is, for messages (`sources[0].retry`); empty at the top. */
    readonly where: string,
    readonly problems: string[] = [],
  ) {}

  static of(input: unknown, where = '', problems: string[] = []): ConfigReader {
    if (input !== undefined && input !== null && !isObject(input))
      problems.push(`${where || 'config'} must be a mapping`);
    return new ConfigReader(isObject(input) ? input : {}, where, problems);
  }

  at(key: string): string {
    return this.where ? `${this.where}.${key}` : key;
  }

  /** The mapping under `key`, read with the same problem list. */
  child(key: string): ConfigReader {
    return ConfigReader.of(this.raw[key], this.at(key), this.problems);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  str(key: string, def?: string): string {
    const v = this.raw[key] ?? def;
    if (typeof v !== 'string' || v === '')
      this.problems.push(`${this.at(key)} must be a non-empty string`);
    return typeof v === 'string' ? v : String(v ?? '');
  }

  optStr(key: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') this.problems.push(`${this.at(key)} must be a string`);
    return String(v);
  }

  int(key: string, def: number, min: number, max: number): number {
    const v = this.raw[key] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.problems.push(`${this.at(key)} must be an integer from ${min} to ${max}`);
    return Number(v);
  }

  bool(key: string, def: boolean): boolean {
    const v = this.raw[key] ?? def;
    if (typeof v !== 'boolean') this.problems.push(`${this.at(key)} must be true or false`);
    return Boolean(v);
  }

  oneOf<T extends string>(key: string, def: T, allowed: readonly T[]): T {
    const v = this.raw[key] ?? def;
    if (!allowed.includes(v as T))
      this.problems.push(`${this.at(key)} must be one of ${allowed.join(', ')}`);
    return (allowed.includes(v as T) ? v : def) as T;
  }

  /** Milliseconds of a duration such as 30s or 5m; `positive` refuses 0. */
  duration(key: string, def: string, positive = false): number {
    const ms = parseDuration(String(this.raw[key] ?? def));
    if (ms === undefined || (positive && ms <= 0))
      this.problems.push(`${this.at(key)} must be a duration such as 30s or 5m`);
    return ms ?? 0;
  }

  list(key: string, def: readonly string[] = []): string[] {
    const v = this.raw[key] ?? def;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.problems.push(`${this.at(key)} must be a list of strings`);
      return [];
    }
    return [...(v as string[])];
  }

  /** The items of a list under `key` (absent: none). */
  items(key: string): unknown[] {
    const v = this.raw[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.problems.push(`${this.at(key)} must be a list`);
      return [];
    }
    return v;
  }

  /** Report every key not in `keys`, with the closest known one as a suggestion. */
  known(keys: readonly (KeyDoc | string)[]): void {
    const names = keys.map((k) => (typeof k === 'string' ? k : k.key));
    for (const key of Object.keys(this.raw)) {
      if (names.includes(key)) continue;
      const near = suggest(key, names);
      this.problems.push(`unknown key ${this.at(key)}${near ? ` (did you mean ${near}?)` : ''}`);
    }
  }
}
