import type { TracingConfig } from '../config/tracing-schema.js';
import { createOtlpExporter, createTracer, type Logger, type Metrics, type Tracer } from '../observability/index.js';

export interface Tracing {
  tracer: Tracer;
  /** sends the spans still queued (end of a drain, or --check) */
  close(): Promise<void>;
}

/**
 * The tracer of one gateway process from its `tracing` block, or undefined
 * when `tracing.otlp` is absent (then requests carry no span at all). The
 * exporter's counters become metrics; `tracing` is restart-only.
 */
export function buildTracing(config: TracingConfig | undefined, context: { program: string; serviceName: string; version: string; logger: Logger; metrics: Metrics }): Tracing | undefined {
  const otlp = config?.otlp;
  if (!otlp) return undefined;
  const exporter = createOtlpExporter({
    ...otlp,
    logger: context.logger,
    resource: [
      { key: 'service.name', value: { stringValue: otlp.serviceName ?? context.serviceName } },
      { key: 'service.version', value: { stringValue: context.version } },
      { key: 'telemetry.sdk.name', value: { stringValue: 'phantom-gateway' } },
      { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
    ],
  });
  const { stats } = exporter;
  context.metrics.counterFrom('phantom_trace_spans_exported_total', 'Spans the OTLP collector accepted', () => stats.exported);
  context.metrics.counterFrom('phantom_trace_spans_dropped_total', 'Spans dropped: the export queue was full, or the collector refused or did not answer', () => stats.dropped);
  context.metrics.counterFrom('phantom_trace_export_failures_total', 'OTLP export requests that failed', () => stats.failedExports);
  return {
    tracer: createTracer({ exporter, sampleRatio: otlp.sampleRatio, parentBased: otlp.parentBased }),
    close: () => exporter.close(),
  };
}
