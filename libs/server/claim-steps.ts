import { requireScopes, scopeSet, type ScopeRule } from '../routing/index.js';
import type { Claims, PolicyCheck } from '../policy/index.js';
import type { Step, StepContext } from './steps.js';

/** the route fields the claim steps read */
export interface ClaimRoute extends ScopeRule {
  readonly check?: PolicyCheck | undefined;
}

/**
 * The steps both gateways run over the token's claims (the introspection
 * answer at the edge, the verified JWT at the micro gateway): who is asking
 * (into the request record, for logs, limits and the in-flight cap), the
 * route's scopes, and the route's policy (claim rules, a PDP).
 */
export function claimSteps<C extends StepContext<ClaimRoute, unknown>>(claimsOf: (ctx: C) => Claims) {
  // the scopes of one cached answer are split once
  const grantedScopes = new WeakMap<Claims, Set<string>>();
  const identity: Step<C> = (ctx) => {
    const claims = claimsOf(ctx);
    if (typeof claims.client_id === 'string') ctx.record.clientId = claims.client_id;
    if (typeof claims.sub === 'string') ctx.record.sub = claims.sub;
  };
  const scopes: Step<C> = (ctx) => {
    const claims = claimsOf(ctx);
    let granted = grantedScopes.get(claims);
    if (!granted) grantedScopes.set(claims, granted = scopeSet(claims.scope));
    requireScopes(granted, ctx.route);
  };
  const policy: Step<C> = (ctx) => ctx.route.check?.(claimsOf(ctx), ctx.record);
  return { identity, scopes, policy };
}
