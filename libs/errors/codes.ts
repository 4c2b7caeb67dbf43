/**
 * Every error either gateway can answer with, in one table (README, "Errors"; a
 * test checks each code's status and body). A code has exactly one status everywhere.
 *
 * `bearer`: how the error appears in `WWW-Authenticate`:
 *   'challenge' → `Bearer realm="…"` with no error attribute (RFC 6750 §3.1),
 *   a string   → `Bearer realm="…", error="<string>", …`,
 *   undefined  → no `WWW-Authenticate` header.
 * `dpop`: the error of a `DPoP algs="…", error="…"` challenge (RFC 9449); an
 *   error that carries `dpopAlgs` adds a bare `DPoP algs="…"` challenge next to Bearer.
 */
export interface CodeSpec {
  readonly status: number;
  readonly bearer?: 'challenge' | 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  /** RFC 9449 §7.1: the error of a `DPoP` challenge (`algs` from the error, when it carries them) */
  readonly dpop?: 'invalid_dpop_proof' | 'use_dpop_nonce';
  readonly description: string;
}

export const CODES = {
  unauthorized: { status: 401, bearer: 'challenge', description: 'a Bearer access token is required' },
  invalid_request: { status: 400, bearer: 'invalid_request', description: 'the request is malformed' },
  bad_request: { status: 400, description: 'the request is malformed' },
  header_too_large: { status: 431, description: 'request headers are too large' },
  payload_too_large: { status: 413, description: 'the request body is too large' },
  request_timeout: { status: 408, description: 'the request was not received in time' },
  unsupported_transfer_coding: { status: 501, description: 'the request uses a transfer coding this gateway does not forward (only chunked)' },
  invalid_token: { status: 401, bearer: 'invalid_token', description: 'the access token is invalid' },
  invalid_dpop_proof: { status: 401, dpop: 'invalid_dpop_proof', description: 'the DPoP proof is invalid' },
  use_dpop_nonce: { status: 401, dpop: 'use_dpop_nonce', description: 'the DPoP proof must carry the nonce this server provides in DPoP-Nonce' },
  insufficient_scope: { status: 403, bearer: 'insufficient_scope', description: 'the access token lacks a required scope' },
  peer_not_allowed: { status: 403, description: 'the client certificate does not carry an allowed identity' },
  sender_constraint_required: { status: 403, description: 'this route requires a sender-constrained (mTLS-bound or DPoP) access token' },
  access_denied: { status: 403, description: 'the request is not permitted by policy' },
  websocket_not_enabled: { status: 400, description: 'this route does not accept WebSocket upgrades' },
  not_found: { status: 404, description: 'no route matches this request' },
  method_not_allowed: { status: 405, description: 'the route does not allow this method' },
  rate_limited: { status: 429, description: 'rate limit exceeded' },
  overloaded: { status: 503, description: 'the gateway is at capacity' },
  authorization_server_unavailable: { status: 503, description: 'the authorization server could not be reached' },
  jwks_unavailable: { status: 503, description: 'the signing keys could not be fetched' },
  policy_unavailable: { status: 503, description: 'the policy decision point could not be reached' },
  not_ready: { status: 503, description: 'the gateway is not ready' },
  upstream_unavailable: { status: 502, description: 'the upstream service refused or reset the connection' },
  upstream_timeout: { status: 504, description: 'the upstream service did not answer in time' },
  internal_error: { status: 500, description: 'internal error' },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof CODES;
