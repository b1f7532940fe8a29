/** Parse "30s", "5m", "1h30m", "250ms" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  // As Go's time.ParseDuration: a bare 0 is a duration.
  if (text === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
  return total;
}

/** Milliseconds of a duration a schema has already checked (0 for anything else). */
export const durationMs = (d: string | number): number => parseDuration(String(d)) ?? 0;

/** Milliseconds of a duration that must be longer than 0; otherwise a problem naming `at`. */
export function positiveMs(d: string | number, at: string, problems: string[]): number {
  const v = durationMs(d);
  if (v <= 0) problems.push(`${at} must be a duration such as 30s or 5m`);
  return v;
}
