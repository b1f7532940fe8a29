/** Backoff for attempt n (0-based): base × factor^n, capped at max. Pure. */
export function backoffMs(n: number, base: number, factor: number, max: number): number {
  return Math.min(max, base * factor ** n);
}
