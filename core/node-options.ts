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

/**
 * The image's environment for glibc malloc (the Dockerfile's final `ENV`; benchmarks and tests
 * that stand for a pod use it too). With glibc's default, the mmap threshold rises to the size of
 * the largest block freed: after the webhook read a 10,000-object index (one ~15 MiB body), later
 * buffers of up to that size came from the heap arena, which fragmented and never shrank, and the
 * webhook held ~20 MiB more RSS for good (`npm run bench:git-state`: 184 → 164 MiB on Node.js 24).
 * A fixed threshold of 64 KiB keeps body-sized buffers in their own mappings, returned on free.
 */
export const IMAGE_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '65536',
};
