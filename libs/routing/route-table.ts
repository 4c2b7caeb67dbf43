import { GatewayError } from '../errors/index.js';

export interface RouteMatchSpec {
  readonly name: string;
  readonly host?: string | undefined;
  readonly pathPrefix: string;
  readonly methods?: readonly string[] | undefined;
}

export interface RouteTable<R extends RouteMatchSpec> {
  /** the route for this request; 404 when no prefix matches, 405 (with Allow) when only the method differs */
  match(host: string | undefined, path: string, method: string): R;
}

/** `/orders` matches `/orders`, `/orders/…` and `/orders?…`, never `/ordersX`. */
function prefixMatches(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length || prefix.endsWith('/')) return true;
  const next = path.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}

function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const lower = header.toLowerCase();
  const colon = lower.lastIndexOf(':');
  return colon > 0 && !lower.endsWith(']') ? lower.slice(0, colon) : lower;
}

/**
 * Routes by host (optional), path prefix (longest wins) and methods. Routes
 * are sorted once at construction; a match is a linear scan of prefixes.
 */
export function createRouteTable<R extends RouteMatchSpec>(routes: readonly R[]): RouteTable<R> {
  const sorted = [...routes].sort((a, b) => b.pathPrefix.length - a.pathPrefix.length || Number(!!b.host) - Number(!!a.host));
  return {
    match(hostHeader, path, method) {
      const host = hostOf(hostHeader);
      let allowed: string[] | undefined;
      let bestPrefixLength = -1;
      for (const route of sorted) {
        if (route.pathPrefix.length < bestPrefixLength) break;
        if (route.host !== undefined && route.host.toLowerCase() !== host) continue;
        if (!prefixMatches(route.pathPrefix, path)) continue;
        if (!route.methods || route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'))) return route;
        bestPrefixLength = route.pathPrefix.length;
        (allowed ??= []).push(...route.methods);
      }
      if (allowed) {
        throw new GatewayError('method_not_allowed', `${method} is not allowed here`, {
          headers: { allow: [...new Set(allowed)].join(', ') }, reason: 'method',
        });
      }
      throw new GatewayError('not_found', 'no route matches this request', { reason: 'no_route' });
    },
  };
}
