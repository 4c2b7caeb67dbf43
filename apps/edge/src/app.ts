import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hono } from 'hono';
import type { IntrospectionResponse } from 'oauth4webapi';
import type { EdgeConfig, EdgeRouteConfig } from '../../../libs/config/index.js';
import { acceptToken, type AcceptanceRules, type CachedIntrospection, type IntrospectionCache } from '../../../libs/introspection/index.js';
import type { Minter } from '../../../libs/minting/index.js';
import type { Keyring } from '../../../libs/keys/index.js';
import { createRouteTable, requireScopes, scopeSet, stripPrefix } from '../../../libs/routing/index.js';
import { createUpstreamPools, forwardHeaders, headerPolicy, remoteAddress, type Upstream, type UpstreamPools } from '../../../libs/proxy/index.js';
import type { Logger, Metrics, RequestRecord } from '../../../libs/observability/index.js';
import { createControlPlane, createDataPath, createRequestLifecycle, guardBody } from '../../../libs/server/index.js';
import { createInFlightLimit, peerAddress, type Throttle } from '../../../libs/throttle/index.js';

export interface EdgeDeps {
  config: EdgeConfig;
  logger: Logger;
  metrics?: Pick<Metrics, 'observe'>;
  introspection: IntrospectionCache;
  acceptance: AcceptanceRules;
  minter: Minter;
  keys: Keyring;
  /** the program's upstream pools, shared across reloads (a private set when absent) */
  pools?: UpstreamPools;
  /** per-client and per-route rate limits, before minting */
  throttle?: Pick<Throttle, 'admit'> | undefined;
  now?: () => number;
}

const JWKS_PATH = '/.well-known/jwks.json';
type Route = Omit<EdgeRouteConfig, 'upstream'> & { upstream: Upstream };

/**
 * The edge gateway: opaque token in, audience-scoped JWT out, forwarded to
 * the route's micro gateway. With warm caches the whole pipeline runs
 * synchronously; only an introspection or a signature makes it wait. The
 * control-plane app (Hono) serves the JWKS; `handle` is the data path (node:http).
 */
export function createEdgeApp(deps: EdgeDeps): { app: Hono; handle(req: IncomingMessage, res: ServerResponse): boolean; close(): Promise<void> } {
  const { config, introspection, minter } = deps;
  const now = deps.now ?? Date.now;
  const pools = deps.pools ?? createUpstreamPools();
  const upstreams = new Map<string, Upstream>();
  const routes = createRouteTable<Route>(config.routes.map((route) => {
    let upstream = upstreams.get(route.upstream);
    if (!upstream) upstreams.set(route.upstream, upstream = pools.acquire(route.upstream, config.upstream));
    return { ...route, upstream };
  }));
  const policy = headerPolicy(['authorization', ...config.stripHeaders], config.server.trustedProxies, config.headers);
  const lifecycle = createRequestLifecycle({ logger: deps.logger, realm: config.realm, accessLog: config.logging.accessLog, metrics: deps.metrics, lingerMs: config.server.lingerMs });
  const inFlight = createInFlightLimit(config.fairness.maxInFlightPerClient);
  const grantedScopes = new WeakMap<IntrospectionResponse, Set<string>>();
  const trusted = new Set(config.server.trustedProxies);
  const jwksHeaders = { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${config.keys.jwksMaxAgeSeconds}` };

  function forward(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, jwt: string): void {
    if (res.destroyed) return; // the client left while the JWT was signed
    // the canonical target, exactly as authorized
    const path = route.stripPrefix ? stripPrefix(record.path, route.pathPrefix, record.query) : record.query ? record.path + record.query : record.path;
    const headers = forwardHeaders(req, policy, { authorization: `Bearer ${jwt}`, 'x-request-id': record.requestId, traceparent: record.traceparent }, record.host);
    const sent = performance.now();
    route.upstream.forward(req, res, {
      path, headers,
      body: guardBody(req, res, config.server, route.maxBodyBytes ?? config.server.maxBodyBytes, record.start),
      responseHeaders: { 'x-request-id': record.requestId },
      onResponse: () => { record.upstreamMs = performance.now() - sent; },
    }, (err) => lifecycle.fail(res, record, err));
  }

  function authorize(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, looked: CachedIntrospection): void | Promise<void> {
    const { result } = looked;
    record.cache = looked.outcome;
    acceptToken(result, deps.acceptance, now() / 1000);
    if (typeof result.client_id === 'string') record.clientId = result.client_id;
    if (typeof result.sub === 'string') record.sub = result.sub;
    let granted = grantedScopes.get(result);
    if (!granted) grantedScopes.set(result, granted = scopeSet(result.scope));
    requireScopes(granted, route);
    const admission = route.rateLimit && deps.throttle?.admit(route.name, { claims: result, peer: peerAddress(req, trusted) });
    if (admission instanceof Promise) return admission.then(() => mintAndForward(req, res, record, route, looked));
    return mintAndForward(req, res, record, route, looked);
  }

  function mintAndForward(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, looked: CachedIntrospection): void | Promise<void> {
    const { result } = looked;
    // one client (client_id, else peer address) holds at most maxInFlightPerClient requests until their responses close
    record.onClose = inFlight.enter(record.clientId ?? remoteAddress(req));
    const minted = minter.mint(looked.hash, result, route.audience);
    if (minted instanceof Promise) return minted.then((m) => forward(req, res, record, route, m.jwt));
    forward(req, res, record, route, minted.jwt);
  }

  /** route → bearer → introspection (cached) (createDataPath) → acceptance → scopes → JWT (cached) → forward */
  const handle = createDataPath({
    lifecycle, routes, maxTokenLength: config.introspection.maxTokenLength, maxBodyBytes: config.server.maxBodyBytes,
    passThrough: (url) => url === JWKS_PATH,
    lookup: (token, req) => introspection.lookup(token, remoteAddress(req)),
    authorize,
  });

  const app = createControlPlane(config.realm, { [JWKS_PATH]: (c) => c.body(deps.keys.jwksJson, 200, jwksHeaders) });

  /** once every request this pipeline admitted has finished, gives its pools back (closing those no longer used) */
  const close = async () => {
    await lifecycle.idle();
    await Promise.all([...upstreams.values()].map((u) => pools.release(u)));
  };
  return { app, handle, close };
}
