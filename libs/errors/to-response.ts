import { CODES } from './codes.js';
import { GatewayError, isGatewayError } from './gateway-error.js';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** RFC 7230 quoted-string: escape backslash and double quote, drop control characters. */
export function quote(value: string): string {
  return `"${value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * Turns any thrown value into the documented response. The only place that
 * writes `WWW-Authenticate`. Unknown errors become a plain 500 that reveals nothing.
 */
export function toErrorResponse(err: unknown, realm: string): ErrorResponse {
  const error = isGatewayError(err) ? err : new GatewayError('internal_error');
  const spec = CODES[error.code];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...error.headers,
  };
  if ('bearer' in spec) {
    const params = [`realm=${quote(realm)}`];
    if (spec.bearer !== 'challenge') {
      params.push(`error=${quote(spec.bearer)}`, `error_description=${quote(error.message)}`);
      if (error.scope !== undefined) params.push(`scope=${quote(error.scope)}`);
    }
    headers['www-authenticate'] = `Bearer ${params.join(', ')}`;
  }
  if ('dpop' in spec || error.dpopAlgs !== undefined) {
    const params = error.dpopAlgs !== undefined ? [`algs=${quote(error.dpopAlgs)}`] : [];
    if ('dpop' in spec) params.push(`error=${quote(spec.dpop)}`, `error_description=${quote(error.message)}`);
    const challenge = `DPoP ${params.join(', ')}`;
    headers['www-authenticate'] = headers['www-authenticate'] ? `${headers['www-authenticate']}, ${challenge}` : challenge;
  }
  if (error.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)));
  const body: Record<string, string> = { error: error.code, error_description: error.message };
  if (error.scope !== undefined) body.scope = error.scope;
  return { status: error.status, headers, body: JSON.stringify(body) };
}

/** The same, as a WHATWG Response for Hono handlers. */
export function toResponse(err: unknown, realm: string): Response {
  const { status, headers, body } = toErrorResponse(err, realm);
  return new Response(body, { status, headers });
}

/**
 * The same, written on a node:http response: the data path's refusals, and
 * failures after forwarding began (e.g. an upstream that refused).
 */
export function writeError(res: import('node:http').ServerResponse, err: unknown, realm: string, extraHeaders?: Readonly<Record<string, string>>): void {
  if (res.headersSent || res.destroyed) { res.destroy(); return; }
  const { status, headers, body } = toErrorResponse(err, realm);
  res.writeHead(status, { ...headers, ...extraHeaders, 'content-length': Buffer.byteLength(body) }).end(body);
}
