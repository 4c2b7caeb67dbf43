export { CODES, type ErrorCode, type CodeSpec } from './codes.js';
export { GatewayError, isGatewayError, type GatewayErrorOptions } from './gateway-error.js';
export { toErrorResponse, toResponse, writeError, quote, type ErrorResponse } from './to-response.js';
