import { GatewayError } from '../errors/index.js';

// dot segments (also percent-encoded), encoded slash or backslash, a raw backslash
const UNSAFE = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|\?|$)|%2f|%5c|\\/i;

/**
 * Refuses request targets whose meaning changes under normalisation: a route
 * and its scopes are chosen by prefix, so `/public/../admin` must never reach
 * a backend that would resolve it to `/admin`. Absolute-form targets too.
 */
export function checkRequestPath(url: string): void {
  if (url.charCodeAt(0) !== 47 /* / */ || url.charCodeAt(1) === 47) {
    throw new GatewayError('bad_request', 'the request target must be a path', { reason: 'target_form' });
  }
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (UNSAFE.test(path)) throw new GatewayError('bad_request', 'the request path is not normalised', { reason: 'unsafe_path' });
}
