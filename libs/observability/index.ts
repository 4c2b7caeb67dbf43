export { createLogger, REDACT_PATHS, type Logger } from './create-logger.js';
export { createLogSink, LOG_SINK_DEFAULTS, type LogSink, type LogSinkOptions } from './log-sink.js';
export { closeLogger, droppedLogLines, flushLogger } from './logger-sink.js';
export { createRequestLog, type RequestRecord } from './request-log.js';
export { createMetrics, type Metrics } from './metrics.js';
export { continueTrace, keepsTracestate, type TraceContext } from './trace-context.js';
export { createTracer, type Tracer, type SpanStart } from './create-tracer.js';
export { createOtlpExporter, type OtlpExporter, type OtlpSpan } from './otlp-exporter.js';
