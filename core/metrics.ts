import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics of one registry, one line each (both binaries): name, help, labels, and buckets
 * for a histogram.
 */
export class MetricFactory {
  readonly registry = new Registry();

  /** Node's process metrics (heap, event loop lag, CPU), names prefixed. */
  processMetrics(prefix: string): void {
    collectDefaultMetrics({ register: this.registry, prefix });
  }

  counter<const L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<const L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<const L extends string = never>(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram({
      name,
      help,
      labelNames,
      buckets: [...buckets],
      registers: [this.registry],
    });
  }
}
