import type { IntrospectionResponse } from 'oauth4webapi';
import { GatewayError } from '../errors/index.js';

export interface AcceptanceRules {
  /** the AS issuer: `iss`, when present, must equal it */
  issuer: string;
  /** RFC 8707: when set, the token's `aud` must include it */
  requiredAudience?: string | undefined;
  /** seconds of tolerance for exp/nbf */
  clockSkewSeconds?: number;
}

const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'access_token', 'urn:ietf:params:oauth:token-type:access_token']);

function invalid(reason: string, description: string): GatewayError {
  return new GatewayError('invalid_token', description, { reason });
}

/**
 * Decides whether an introspection result is an acceptable access token now.
 * Runs on every request, cache hit or not, so expiry is exact.
 */
export function acceptToken(result: IntrospectionResponse, rules: AcceptanceRules, nowSeconds: number): void {
  const skew = rules.clockSkewSeconds ?? 0;
  if (result.active !== true) throw invalid('inactive', 'the access token is not active');
  if (typeof result.exp === 'number' && nowSeconds >= result.exp + skew) throw invalid('expired', 'the access token has expired');
  if (typeof result.nbf === 'number' && nowSeconds + skew < result.nbf) throw invalid('not_yet_valid', 'the access token is not valid yet');
  if (result.token_type !== undefined && !ACCESS_TOKEN_TYPES.has(String(result.token_type).toLowerCase())) {
    throw invalid('token_type', 'the token is not an access token');
  }
  if (result.iss !== undefined && result.iss !== rules.issuer) throw invalid('issuer', 'the access token was issued by another server');
  if (rules.requiredAudience !== undefined) {
    const aud = result.aud;
    const ok = Array.isArray(aud) ? aud.includes(rules.requiredAudience) : aud === rules.requiredAudience;
    if (!ok) throw invalid('audience', 'the access token is not meant for this gateway');
  }
}
