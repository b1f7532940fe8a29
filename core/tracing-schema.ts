// The `tracing` key of the webhook's and the reconciler's config.
import { Type, type Static } from '@sinclair/typebox';
import { Mapping, Str } from './schema/keywords.js';

export const TracingSchema = Mapping(
  {
    endpoint: Type.Optional(
      Str({
        description:
          'OTLP/HTTP base URL of a collector (e.g. http://otel-collector:4318); unset: traces off',
        pattern: '^https?://',
      }),
    ),
    sampleRatio: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 1,
      description: 'share of new traces kept (a sampled parent is always followed)',
      errorMessage: 'must be a number from 0 to 1',
    }),
    caFile: Type.Optional(Str({ description: "PEM CA bundle of the collector's certificate" })),
  },
  { description: 'OpenTelemetry traces over OTLP/HTTP, off by default', default: {} },
);

export type TracingConfig = Static<typeof TracingSchema>;
