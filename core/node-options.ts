/**
 * V8 heap bounds for the reconciler process, the Helm chart's default `NODE_OPTIONS`. V8 grows
 * its heap lazily: with no bound a 10,000-object first sync held ~170 MiB of heap (75 MiB live)
 * and peaked at ~360 MiB RSS; with these bounds it peaks at ~230 MiB and takes ~10 % longer
 * (`npm run bench:reconcile` runs the reconciler with exactly these flags). Raise the old space
 * for sources much larger than 10,000 objects.
 */
export const RECONCILER_NODE_OPTIONS = '--max-old-space-size=128 --max-semi-space-size=4';

/**
 * V8 heap bounds for the webhook process (the chart's default `NODE_OPTIONS`), measured by
 * `npm run bench:git-state` with a 10,000-object desired-state index loaded.
 */
export const WEBHOOK_NODE_OPTIONS = '--max-old-space-size=96 --max-semi-space-size=2';
