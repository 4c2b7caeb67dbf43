export { createLogger, REDACT_PATHS, type Logger } from './create-logger.js';
export { createRequestLog, type RequestRecord } from './request-log.js';
