// A real Jaeger (v2, the OpenTelemetry-collector-based all-in-one, built from the Go module proxy by
// scripts/tools.sh): an OTLP receiver (gRPC for the apiserver, HTTP for driftgate) into memory,
// and its query API to read the spans back. Every port is a free one on loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.js';
import { answering, supervise } from './processes.js';
import { toolPath } from './tools.js';

export interface Jaeger {
  /** OTLP/HTTP base URL (driftgate's tracing.endpoint). */
  readonly otlpHttp: string;
  /** OTLP/gRPC host:port (the apiserver's TracingConfiguration endpoint). */
  readonly otlpGrpc: string;
  /** The traces of a service, as Jaeger's query API answers. */
  traces(service: string, operation?: string): Promise<JaegerTrace[]>;
  stop(): Promise<void>;
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly { refType: string; traceID: string; spanID: string }[];
  readonly tags: readonly { key: string; value: unknown }[];
  readonly logs: readonly { fields: readonly { key: string; value: unknown }[] }[];
  readonly processID: string;
}
export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { serviceName: string }>>;
}

export async function startJaeger(): Promise<Jaeger> {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-jaeger-'));
  const [grpc, http, query, queryGrpc] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const at = (port: number) => `127.0.0.1:${port}`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      service: {
        extensions: ['jaeger_storage', 'jaeger_query'],
        pipelines: {
          traces: {
            receivers: ['otlp'],
            processors: ['batch'],
            exporters: ['jaeger_storage_exporter'],
          },
        },
        telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
      },
      extensions: {
        jaeger_query: {
          storage: { traces: 'mem' },
          http: { endpoint: at(query) },
          grpc: { endpoint: at(queryGrpc) },
        },
        jaeger_storage: { backends: { mem: { memory: { max_traces: 10_000 } } } },
      },
      receivers: {
        otlp: { protocols: { grpc: { endpoint: at(grpc) }, http: { endpoint: at(http) } } },
      },
      processors: { batch: { timeout: '200ms' } },
      exporters: { jaeger_storage_exporter: { trace_storage: 'mem' } },
    }),
  );
  const proc = supervise('jaeger', toolPath('jaeger'), ['--config', config], join(dir, 'log'));
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const api = `http://${at(query)}/api`;
  await answering('jaeger', `${api}/services`, stop);
  return {
    otlpHttp: `http://${at(http)}`,
    otlpGrpc: at(grpc),
    async traces(service, operation) {
      const q = new URLSearchParams({ service, limit: '100', ...(operation ? { operation } : {}) });
      const r = await fetch(`${api}/traces?${q}`);
      if (r.status !== 200) return [];
      return ((await r.json()) as { data: JaegerTrace[] | null }).data ?? [];
    },
    stop,
  };
}
