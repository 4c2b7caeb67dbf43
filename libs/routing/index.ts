export { createRouteTable, type RouteTable, type RouteMatchSpec } from './route-table.js';
export { checkRequestPath } from './check-path.js';
export { requireScopes, scopeSet, type ScopeRule } from './scopes.js';
export { stripPrefix } from './strip-prefix.js';
