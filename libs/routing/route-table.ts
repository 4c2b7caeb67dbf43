import { GatewayError } from '../errors/index.js';
import { canonicalTarget, type CanonicalTarget } from './canonical-target.js';

export interface RouteMatchSpec {
  readonly name: string;
  readonly host?: string | undefined;
  readonly pathPrefix: string;
  readonly methods?: readonly string[] | undefined;
  /** compare the prefix with the path's letter case (default: case-insensitive, as a case-folding backend would) */
  readonly caseSensitive?: boolean | undefined;
  /** accept `;` parameters in path segments (matched without them) */
  readonly matrixParams?: boolean | undefined;
  /** accept `//` inside the path (matched as one slash) */
  readonly repeatedSlashes?: boolean | undefined;
}

export interface RouteTable<R extends RouteMatchSpec> {
  /** the route for this target; 404 when no prefix matches, 405 (with Allow) when only the method differs */
  match(host: string | undefined, target: CanonicalTarget, method: string): R;
}

/** `/orders` matches `/orders` and `/orders/…`, never `/ordersX`; `/api/` matches `/api/…`. */
function prefixMatches(prefix: string, key: string): boolean {
  if (!key.startsWith(prefix)) return false;
  return key.length === prefix.length || prefix.charCodeAt(prefix.length - 1) === 47 || key.charCodeAt(prefix.length) === 47;
}

/** A route host as the request's host is normalised: lower case, no trailing dot. */
function hostKey(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The name part of a normalised host (see normaliseHost): `a.example:8080` → `a.example`. */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const colon = host.lastIndexOf(':');
  return colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host;
}

interface Entry<R> { route: R; prefix: string; host: string | undefined; folded: boolean }

/**
 * Routes by host (optional), path prefix (longest wins) and methods, on the
 * decoded target (see canonicalTarget). Prefixes compare case-insensitively
 * unless a route says otherwise, so a path that a case-folding backend would
 * dispatch to a more specific route meets that route's scopes. Routes are
 * sorted once; a match is a linear scan of prefixes.
 */
export function createRouteTable<R extends RouteMatchSpec>(routes: readonly R[]): RouteTable<R> {
  const entries: Entry<R>[] = routes.map((route) => {
    const key = canonicalTarget(route.pathPrefix).key;
    const folded = !route.caseSensitive;
    return { route, prefix: folded ? key.toLowerCase() : key, host: hostKey(route.host), folded };
  });
  entries.sort((a, b) => b.prefix.length - a.prefix.length || Number(b.host !== undefined) - Number(a.host !== undefined));
  return {
    match(hostHeader, target, method) {
      const host = hostName(hostHeader);
      let allowed: string[] | undefined;
      let bestPrefixLength = -1;
      for (const { route, prefix, host: routeHost, folded } of entries) {
        if (prefix.length < bestPrefixLength) break;
        if (routeHost !== undefined && routeHost !== host) continue;
        if (!prefixMatches(prefix, folded ? target.folded : target.key)) continue;
        if (!route.methods || route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'))) {
          if (target.params && !route.matrixParams) throw new GatewayError('bad_request', 'the request path has ";" parameters', { reason: 'matrix_params' });
          if (target.slashes && !route.repeatedSlashes) throw new GatewayError('bad_request', 'the request path has repeated slashes', { reason: 'repeated_slashes' });
          return route;
        }
        bestPrefixLength = prefix.length;
        (allowed ??= []).push(...route.methods);
      }
      if (target.params) throw new GatewayError('bad_request', 'the request path has ";" parameters', { reason: 'matrix_params' });
      if (target.slashes) throw new GatewayError('bad_request', 'the request path has repeated slashes', { reason: 'repeated_slashes' });
      if (allowed) {
        throw new GatewayError('method_not_allowed', `${method} is not allowed here`, {
          headers: { allow: [...new Set(allowed)].join(', ') }, reason: 'method',
        });
      }
      throw new GatewayError('not_found', 'no route matches this request', { reason: 'no_route' });
    },
  };
}
