import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { IntrospectionResponse } from 'oauth4webapi';
import type { EdgeConfig, EdgeRouteConfig } from '../../../libs/config/index.js';
import { acceptToken, type AcceptanceRules, type CachedIntrospection, type IntrospectionCache } from '../../../libs/introspection/index.js';
import type { Minter } from '../../../libs/minting/index.js';
import type { Keyring } from '../../../libs/keys/index.js';
import { createRouteTable, requireScopes, scopeSet, stripPrefix } from '../../../libs/routing/index.js';
import { createUpstream, forwardHeaders, headerPolicy, type Upstream } from '../../../libs/proxy/index.js';
import type { Logger, Metrics, RequestRecord } from '../../../libs/observability/index.js';
import { createDataPath, createRequestLifecycle } from '../../../libs/server/index.js';
import { createPolicyCheck, createPolicyStats, type PolicyCheck, type PolicyStats } from '../../../libs/policy/index.js';

export interface EdgeDeps {
  config: EdgeConfig;
  logger: Logger;
  metrics?: Pick<Metrics, 'observe'>;
  introspection: IntrospectionCache;
  acceptance: AcceptanceRules;
  minter: Minter;
  keys: Keyring;
  now?: () => number;
  /** policy counters, kept across reloads (registerPolicyMetrics) */
  policyStats?: PolicyStats;
}

type Env = { Bindings: HttpBindings };

const JWKS_PATH = '/.well-known/jwks.json';
type Route = Omit<EdgeRouteConfig, 'upstream'> & { upstream: Upstream; check?: PolicyCheck | undefined };

/**
 * The edge gateway: opaque token in, audience-scoped JWT out, forwarded to
 * the route's micro gateway. With warm caches the whole pipeline runs
 * synchronously; only an introspection or a signature makes it wait. The
 * Hono app serves the JWKS; `handle` is the data path (see startServer).
 */
export function createEdgeApp(deps: EdgeDeps): { app: Hono<Env>; handle(req: IncomingMessage, res: ServerResponse): boolean; policyStats: PolicyStats; close(): Promise<void> } {
  const { config, introspection, minter } = deps;
  const now = deps.now ?? Date.now;
  const upstreams = new Map<string, Upstream>();
  const policyStats = deps.policyStats ?? createPolicyStats();
  policyStats.caches.length = 0;
  const onPolicyFailure = (route: string, err: unknown) => deps.logger.warn({ route, cause: (err as Error).message }, 'policy decision point failed; admitted (failMode open)');
  const routes = createRouteTable<Route>(config.routes.map((route) => {
    let upstream = upstreams.get(route.upstream);
    if (!upstream) upstreams.set(route.upstream, upstream = createUpstream(route.upstream, config.upstream));
    const check = createPolicyCheck({ policy: route.policy, route: route.name, audience: route.audience, stats: policyStats, onFailure: onPolicyFailure });
    return { ...route, upstream, check };
  }));
  const policy = headerPolicy(['authorization', ...config.stripHeaders], config.server.trustedProxies, config.headers);
  const lifecycle = createRequestLifecycle({ logger: deps.logger, realm: config.realm, accessLog: config.logging.accessLog, metrics: deps.metrics });
  const grantedScopes = new WeakMap<IntrospectionResponse, Set<string>>();
  const jwksHeaders = { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${config.keys.jwksMaxAgeSeconds}` };

  function forward(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, jwt: string): void {
    // the canonical target, exactly as authorized
    const path = route.stripPrefix ? stripPrefix(record.path, route.pathPrefix, record.query) : record.query ? record.path + record.query : record.path;
    const own: Record<string, string> = { authorization: `Bearer ${jwt}`, 'x-request-id': record.requestId, traceparent: record.traceparent };
    if (route.policy?.decisionHeader && record.policy) own[route.policy.decisionHeader.toLowerCase()] = record.policy;
    const headers = forwardHeaders(req, policy, own, record.host);
    const sent = performance.now();
    route.upstream.forward(req, res, {
      path, headers,
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
    // policy before minting: a denied request never costs a signature
    const checked = route.check?.(result, record);
    if (checked) return checked.then(() => mint(req, res, record, route, looked));
    return mint(req, res, record, route, looked);
  }

  function mint(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, looked: CachedIntrospection): void | Promise<void> {
    const { result } = looked;
    const minted = minter.mint(looked.hash, result, route.audience);
    if (minted instanceof Promise) return minted.then((m) => forward(req, res, record, route, m.jwt));
    forward(req, res, record, route, minted.jwt);
  }

  /** route → bearer → introspection (cached) (createDataPath) → acceptance → scopes → JWT (cached) → forward */
  const handle = createDataPath({
    lifecycle, routes, maxTokenLength: config.introspection.maxTokenLength,
    passThrough: (url) => url === JWKS_PATH,
    lookup: (token) => introspection.lookup(token),
    authorize,
  });

  const app = new Hono<Env>();
  app.get(JWKS_PATH, (c) => c.body(deps.keys.jwksJson, 200, jwksHeaders));
  app.onError(lifecycle.onError);

  return { app, handle, policyStats, close: async () => { await Promise.all([...upstreams.values()].map((u) => u.close())); } };
}
