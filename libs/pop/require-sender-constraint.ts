import type { JWTPayload } from 'jose';
import { GatewayError } from '../errors/index.js';

/**
 * A micro gateway route with `requireSenderConstraint: true` serves only JWTs
 * the edge minted for a sender-constrained token whose proof it checked
 * (claims `sender_constraint` and `cnf`); anything else is 403.
 */
export function requireSenderConstraint(claims: JWTPayload): void {
  const how = claims.sender_constraint;
  if ((how === 'mtls' || how === 'dpop') && claims.cnf && typeof claims.cnf === 'object') return;
  throw new GatewayError('sender_constraint_required', undefined, { reason: 'bearer_token' });
}
