import { GatewayError } from '../errors/index.js';

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^bearer(?: +|$)/i;

/** Every value of one header, from Node's `rawHeaders` (which, unlike `headers`, keeps duplicates). */
export function headerValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/**
 * Extracts the token from the `Authorization` header values of one request.
 * No header or another scheme → 401 challenge; a Bearer header that is empty,
 * repeated, holds several tokens or illegal characters → 400 invalid_request.
 */
export function parseBearer(values: readonly string[], maxLength = 4096): string {
  if (values.length === 0) throw new GatewayError('unauthorized', 'a Bearer access token is required', { reason: 'no_authorization' });
  if (values.length > 1) throw new GatewayError('invalid_request', 'more than one Authorization header', { reason: 'several_headers' });
  const value = values[0]!.trim();
  const scheme = SCHEME.exec(value);
  if (!scheme) throw new GatewayError('unauthorized', 'a Bearer access token is required', { reason: 'other_scheme' });
  const token = value.slice(scheme[0].length);
  if (token.length === 0) throw new GatewayError('invalid_request', 'the Bearer token is empty', { reason: 'empty_token' });
  if (token.length > maxLength) throw new GatewayError('invalid_request', 'the Bearer token is too long', { reason: 'token_too_long' });
  if (!B64TOKEN.test(token)) {
    const description = /\s/.test(token) ? 'more than one token in the Authorization header' : 'the Bearer token has illegal characters';
    throw new GatewayError('invalid_request', description, { reason: 'malformed_token' });
  }
  return token;
}
