/**
 * A token bucket: `take()` is true while the burst lasts, then once per 1/perSecond seconds as it
 * refills. For what costs another system per call (TokenReviews, Event writes).
 */
export function tokenBucket(
  perSecond: number,
  burst: number,
  now: () => number = Date.now,
): () => boolean {
  let tokens = burst;
  let at = now();
  return (): boolean => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - at) / 1000) * perSecond);
    at = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
