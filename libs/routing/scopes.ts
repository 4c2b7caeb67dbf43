import { GatewayError } from '../errors/index.js';

export interface ScopeRule {
  readonly scopes: readonly string[];
  readonly scopeMode: 'any' | 'all';
}

/** Splits an OAuth `scope` string (RFC 6749 §3.3) into a set. */
export function scopeSet(scope: unknown): Set<string> {
  if (typeof scope !== 'string' || scope.length === 0) return new Set();
  return new Set(scope.split(' ').filter(Boolean));
}

/** Throws 403 insufficient_scope, naming the required scopes, when the granted set falls short. */
export function requireScopes(granted: ReadonlySet<string>, rule: ScopeRule): void {
  if (rule.scopes.length === 0) return;
  const ok = rule.scopeMode === 'any'
    ? rule.scopes.some((s) => granted.has(s))
    : rule.scopes.every((s) => granted.has(s));
  if (!ok) {
    throw new GatewayError('insufficient_scope',
      rule.scopeMode === 'any' ? 'the token needs one of the listed scopes' : 'the token needs all of the listed scopes',
      { scope: rule.scopes.join(' '), reason: 'scope' });
  }
}
