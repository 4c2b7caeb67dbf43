import { z } from 'zod';
import { httpUrl } from './schema-parts.js';

/**
 * OpenTelemetry trace export (OTLP/HTTP, JSON encoding), the same block for
 * the edge and the micros. Off unless `tracing.otlp` is set.
 */
export const tracingSchema = z.strictObject({
  otlp: z.strictObject({
    endpoint: httpUrl.describe('the collector\'s OTLP/HTTP traces URL, path included (e.g. `http://otel-collector:4318/v1/traces`)'),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name'), z.string()).default({})
      .describe('extra request headers for the collector (e.g. an API key: use ${VAR})'),
    sampleRatio: z.number().min(0).max(1).default(1)
      .describe('share of new traces exported, decided on the trace id (so every hop of a trace decides alike)'),
    parentBased: z.boolean().default(true)
      .describe('also export when the incoming `traceparent` says sampled (the edge: a client can ask for its own requests to be traced)'),
    serviceName: z.string().min(1).optional().describe('`service.name` of the spans; default `phantom-edge` / `phantom-micro-<audience>`'),
    timeoutMs: z.number().int().positive().default(10_000).describe('one export request\'s time limit; past it, its spans are dropped and counted'),
    flushIntervalMs: z.number().int().positive().default(5000).describe('spans are sent at least this often (and whenever a batch is full)'),
    maxBatchSpans: z.number().int().positive().max(10_000).default(512).describe('spans per export request'),
    maxQueueSpans: z.number().int().positive().max(1_000_000).default(2048).describe('spans held while the collector is slow or down; more are dropped and counted'),
  }).optional().describe('export one server span per sampled request to an OpenTelemetry collector (off when absent)'),
});

export type TracingConfig = z.output<typeof tracingSchema>;
export type OtlpConfig = NonNullable<TracingConfig['otlp']>;
