// Traces as OpenTelemetry carries them: spans with W3C trace context in and out, exported in
// batches over OTLP/HTTP (JSON) to a collector, off by default. Export never blocks the work it
// describes: ended spans wait in a bounded queue (past it they are dropped and counted) and one
// batch is in flight at a time. No attribute carries a Secret value: callers add names, kinds,
// commits and outcomes only.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { post, type OutboundRequest } from './post.js';

export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
}
export type Attribute = string | number | boolean;
type Kind = 'internal' | 'server' | 'client';

const KIND = { internal: 1, server: 2, client: 3 } as const;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C traceparent header's context; undefined when absent, malformed or all zeros. */
export function parseTraceparent(h: unknown): SpanContext | undefined {
  const m = typeof h === 'string' ? TRACEPARENT.exec(h.trim()) : null;
  if (!m || /^0+$/.test(m[1] as string) || /^0+$/.test(m[2] as string)) return undefined;
  return { traceId: m[1] as string, spanId: m[2] as string };
}

// Wall-clock time in nanoseconds that never goes backwards: the epoch read once, then the
// monotonic clock's progress (a span never ends before it starts).
const ORIGIN_NS = BigInt(Date.now()) * 1_000_000n;
const ORIGIN_HR = process.hrtime.bigint();
const nowNs = (): bigint => ORIGIN_NS + (process.hrtime.bigint() - ORIGIN_HR);
const id = (bytes: number) => randomBytes(bytes).toString('hex');

export class Span {
  readonly #attrs = new Map<string, Attribute>();
  readonly #events: { name: string; at: bigint; attrs: Record<string, Attribute> }[] = [];
  #end: bigint | undefined;
  #error: string | undefined;
  readonly context: SpanContext;
  readonly #start = nowNs();

  constructor(
    private readonly tracer: Tracer,
    readonly name: string,
    readonly parent: SpanContext | undefined,
    private readonly kind: Kind,
  ) {
    this.context = { traceId: parent?.traceId ?? id(16), spanId: id(8) };
  }

  /** Set attributes (at most 64; strings at most 1,024 characters). */
  set(attrs: Readonly<Record<string, Attribute | undefined>>): this {
    if (!this.tracer.enabled) return this;
    for (const [k, v] of Object.entries(attrs))
      if (v !== undefined && (this.#attrs.size < 64 || this.#attrs.has(k)))
        this.#attrs.set(k, typeof v === 'string' ? v.slice(0, 1024) : v);
    return this;
  }

  /** Something that happened within the span (at most 32 kept). */
  event(name: string, attrs: Record<string, Attribute> = {}): this {
    if (this.tracer.enabled && this.#events.length < 32)
      this.#events.push({ name, at: nowNs(), attrs });
    return this;
  }

  child(name: string, attrs: Readonly<Record<string, Attribute | undefined>> = {}): Span {
    return this.tracer.enabled
      ? new Span(this.tracer, name, this.context, 'internal').set(attrs)
      : this;
  }

  /** Mark it failed (the message is the error's, never a value of the object). */
  fail(message: string): this {
    this.#error = message.slice(0, 1024);
    return this;
  }

  /** Whether this span is kept (false: tracing is off, or the trace was not sampled). */
  get recording(): boolean {
    return this.tracer.enabled;
  }

  /** The W3C traceparent of this span, for a call it makes. */
  get traceparent(): string {
    return `00-${this.context.traceId}-${this.context.spanId}-01`;
  }

  end(): void {
    if (this.#end !== undefined || !this.tracer.enabled) return;
    this.#end = nowNs();
    this.tracer.record(this);
  }

  /** The span in OTLP JSON. */
  toOtlp(): Record<string, unknown> {
    return {
      traceId: this.context.traceId,
      spanId: this.context.spanId,
      ...(this.parent ? { parentSpanId: this.parent.spanId } : {}),
      name: this.name,
      kind: KIND[this.kind],
      startTimeUnixNano: String(this.#start),
      endTimeUnixNano: String(this.#end ?? this.#start),
      attributes: otlpAttributes(Object.fromEntries(this.#attrs)),
      events: this.#events.map((e) => ({
        name: e.name,
        timeUnixNano: String(e.at),
        attributes: otlpAttributes(e.attrs),
      })),
      status: this.#error === undefined ? { code: 1 } : { code: 2, message: this.#error },
    };
  }
}

function otlpAttributes(a: Record<string, Attribute>): Record<string, unknown>[] {
  return Object.entries(a).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));
}

export interface TracerOptions {
  /** The collector's OTLP/HTTP base URL (…:4318); absent: tracing off. */
  readonly endpoint?: string;
  readonly service: string;
  readonly version?: string;
  /** Share of new traces kept (a request's sampled parent is always followed). @default 1 */
  readonly sampleRatio?: number;
  /** Spans waiting for export; past it they are dropped. @default 2048 */
  readonly maxQueue?: number;
  /** @default 1000 */
  readonly batchMs?: number;
  readonly timeoutMs?: number;
  readonly caFile?: string;
  /** Spans dropped (queue full, or the collector refused or did not answer). */
  readonly onDrop?: (n: number) => void;
  readonly onError?: (reason: string) => void;
}

const MAX_BATCH = 512;

export class Tracer {
  readonly #queue: Span[] = [];
  #inFlight: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: TracerOptions) {
    if (o.endpoint) {
      this.#timer = setInterval(() => void this.flush(), o.batchMs ?? 1000);
      this.#timer.unref();
    }
  }

  get enabled(): boolean {
    return this.o.endpoint !== undefined;
  }

  /** Start a span: a child of `parent` (a traceparent header, or a context), else a new trace. */
  start(
    name: string,
    o: {
      parent?: SpanContext;
      kind?: Kind;
      attributes?: Record<string, Attribute | undefined>;
    } = {},
  ): Span {
    const sampled =
      this.enabled && (o.parent !== undefined || Math.random() < (this.o.sampleRatio ?? 1));
    if (!sampled) return NOOP;
    const span = new Span(this, name, o.parent, o.kind ?? 'internal');
    return o.attributes ? span.set(o.attributes) : span;
  }

  /** An ended span, queued for export. */
  record(s: Span): void {
    if (this.#queue.length >= (this.o.maxQueue ?? 2048)) return this.o.onDrop?.(1);
    this.#queue.push(s);
  }

  /** Export what is queued (one batch at a time); resolves when this batch is done. */
  async flush(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    if (this.#queue.length === 0 || !this.o.endpoint) return;
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#inFlight = this.#send(batch).finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #send(batch: Span[]): Promise<void> {
    const resource = otlpAttributes({
      'service.name': this.o.service,
      ...(this.o.version ? { 'service.version': this.o.version } : {}),
    });
    const r: OutboundRequest = {
      url: `${(this.o.endpoint ?? '').replace(/\/+$/, '')}/v1/traces`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: resource },
            scopeSpans: [{ scope: { name: 'driftgate' }, spans: batch.map((s) => s.toOtlp()) }],
          },
        ],
      }),
    };
    try {
      const ca = this.o.caFile ? readFileSync(this.o.caFile, 'utf8') : undefined;
      const a = await post(r, { timeoutMs: this.o.timeoutMs ?? 5000, ...(ca ? { ca } : {}) });
      if (a.status < 200 || a.status >= 300) throw new Error(`HTTP ${a.status}`);
    } catch (err) {
      this.o.onDrop?.(batch.length);
      this.o.onError?.((err as Error).message);
    }
  }

  /** Stop the timer and export what is left: a few batches at most, the rest dropped. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (let i = 0; i < 4 && (this.#queue.length > 0 || this.#inFlight); i++) await this.flush();
    await this.#inFlight;
    if (this.#queue.length > 0) this.o.onDrop?.(this.#queue.splice(0).length);
  }
}

/** What a trace not kept is made of: one span that records nothing. */
const NOOP = new Span(new Tracer({ service: 'off' }), 'off', undefined, 'internal');

/** A tracer with tracing off (no endpoint): every span is the one that records nothing. */
export const TRACING_OFF = new Tracer({ service: 'off' });
