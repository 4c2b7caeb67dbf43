import type { JWTPayload } from 'jose';

/** What the edge knows about an accepted opaque token (from RFC 7662 introspection). */
export interface TokenFacts {
  readonly sub?: string | undefined;
  readonly client_id?: string | undefined;
  readonly scope?: string | undefined;
  readonly exp?: number | undefined;
  readonly [claim: string]: unknown;
}

/** Claims that pass-through configuration may never override. */
const RESERVED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'cnf', 'active', 'token_type']);

export interface ClaimsInput {
  facts: TokenFacts;
  issuer: string;
  audience: string;
  /** the scopes this audience knows; the JWT carries only these (least privilege) */
  audienceScopes: ReadonlySet<string>;
  ttlSeconds: number;
  nowSeconds: number;
  jti: string;
  passThroughClaims: readonly string[];
}

/**
 * How a sender-constrained token's holder proved possession: `cnf.jkt` →
 * `dpop` (RFC 9449), `cnf.x5t#S256` → `mtls` (RFC 8705). The edge checks the
 * binding on every request before it mints (libs/pop), so a JWT minted for a
 * bound token records a checked proof.
 */
export function senderConstraintOf(cnf: unknown): 'dpop' | 'mtls' | undefined {
  if (!cnf || typeof cnf !== 'object') return undefined;
  const c = cnf as Record<string, unknown>;
  return typeof c.jkt === 'string' ? 'dpop' : typeof c['x5t#S256'] === 'string' ? 'mtls' : undefined;
}

/**
 * The RFC 9068 claim set for one audience. `exp` is now + TTL but never past
 * the opaque token's own `exp`; `sub` falls back to `client_id` for
 * client-credentials tokens (RFC 9068 §2.2).
 */
export function buildClaims(input: ClaimsInput): JWTPayload {
  const { facts, nowSeconds } = input;
  const exp = Math.min(nowSeconds + input.ttlSeconds, typeof facts.exp === 'number' ? facts.exp : Infinity);
  const scopes = typeof facts.scope === 'string' ? facts.scope.split(' ').filter((s) => input.audienceScopes.has(s)) : [];
  const claims: JWTPayload = {};
  const constraint = senderConstraintOf(facts.cnf);
  for (const name of input.passThroughClaims) {
    if (!RESERVED.has(name) && facts[name] !== undefined) claims[name] = facts[name];
  }
  return {
    ...claims,
    iss: input.issuer,
    sub: facts.sub ?? facts.client_id,
    aud: input.audience,
    client_id: facts.client_id,
    scope: scopes.join(' '),
    iat: nowSeconds,
    exp,
    jti: input.jti,
    // translate, don't downgrade: the binding the edge checked travels on (README "TLS and proof of possession")
    ...(constraint ? { cnf: facts.cnf as JWTPayload, sender_constraint: constraint } : {}),
  };
}
