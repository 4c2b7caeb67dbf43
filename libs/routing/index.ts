export { createRouteTable, type RouteTable, type RouteMatchSpec } from './route-table.js';
export { canonicalTarget, type CanonicalTarget } from './canonical-target.js';
export { normaliseHost } from './normalise-host.js';
export { requireScopes, scopeSet, type ScopeRule } from './scopes.js';
export { stripPrefix } from './strip-prefix.js';
