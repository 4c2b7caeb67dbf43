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
import { createCertificateBinding } from '../../../libs/pop/index.js';
import { normaliseHtu, parseAuthorization, type DpopVerifier } from '../../../libs/dpop/index.js';
import { headerValues } from '../../../libs/bearer/parse-bearer.js';
import { remoteAddress } from '../../../libs/proxy/index.js';

export interface EdgeDeps {
  config: EdgeConfig;
  logger: Logger;
  metrics?: Pick<Metrics, 'observe'>;
  introspection: IntrospectionCache;
  acceptance: AcceptanceRules;
  minter: Minter;
  keys: Keyring;
  /** RFC 9449 proofs (kept across reloads: its replay cache must survive them) */
  dpop?: DpopVerifier | undefined;
  now?: () => number;
}

type Env = { Bindings: HttpBindings };

const JWKS_PATH = '/.well-known/jwks.json';
type Route = Omit<EdgeRouteConfig, 'upstream'> & { upstream: Upstream };

/**
 * The edge gateway: opaque token in, audience-scoped JWT out, forwarded to
 * the route's micro gateway. With warm caches the whole pipeline runs
 * synchronously; only an introspection or a signature makes it wait. The
 * Hono app serves the JWKS; `handle` is the data path (see startServer).
 */
export function createEdgeApp(deps: EdgeDeps): { app: Hono<Env>; handle(req: IncomingMessage, res: ServerResponse): boolean; close(): Promise<void> } {
  const { config, introspection, minter } = deps;
  const now = deps.now ?? Date.now;
  const upstreams = new Map<string, Upstream>();
  const routes = createRouteTable<Route>(config.routes.map((route) => {
    const tls = route.upstreamTls ?? config.upstream.tls;
    const key = tls ? `${route.upstream} ${JSON.stringify(tls)}` : route.upstream;
    let upstream = upstreams.get(key);
    if (!upstream) upstreams.set(key, upstream = createUpstream(route.upstream, { ...config.upstream, tls }));
    return { ...route, upstream };
  }));
  const binding = createCertificateBinding({ forwardedHeader: config.proofOfPossession.forwardedCertificateHeader, trustedPeers: config.server.trustedProxies });
  const policy = headerPolicy(['authorization', 'dpop', ...config.stripHeaders, ...(binding.header ? [binding.header] : [])], config.server.trustedProxies);
  const lifecycle = createRequestLifecycle({ logger: deps.logger, realm: config.realm, accessLog: config.logging.accessLog, metrics: deps.metrics });
  const grantedScopes = new WeakMap<IntrospectionResponse, Set<string>>();
  const jwksHeaders = { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${config.keys.jwksMaxAgeSeconds}` };

  function forward(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, jwt: string): void {
    const url = record.path;
    const sent = performance.now();
    route.upstream.forward(req, res, {
      path: route.stripPrefix ? stripPrefix(url, route.pathPrefix) : url,
      headers: forwardHeaders(req, policy, { authorization: `Bearer ${jwt}`, 'x-request-id': record.requestId, traceparent: record.traceparent }),
      responseHeaders: { 'x-request-id': record.requestId },
      onResponse: () => { record.upstreamMs = performance.now() - sent; },
    }, (err) => lifecycle.fail(res, record, err));
  }

  const dpopRequests = new WeakSet<IncomingMessage>();
  const trustedProxies = new Set(config.server.trustedProxies);
  /** the URL a DPoP proof's htu must name: this listener's scheme (or a trusted proxy's), the Host, the canonical path */
  function htuOf(req: IncomingMessage, path: string): string {
    const q = path.indexOf('?');
    const forwardedProto = trustedProxies.has(remoteAddress(req)) ? req.headers['x-forwarded-proto'] : undefined;
    const scheme = config.server.tls ? 'https' : forwardedProto === 'https' ? 'https' : 'http';
    return normaliseHtu(`${scheme}://${req.headers.host ?? ''}${q === -1 ? path : path.slice(0, q)}`) ?? '';
  }

  function authorize(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, looked: CachedIntrospection): void | Promise<void> {
    const { result } = looked;
    record.cache = looked.outcome;
    acceptToken(result, deps.acceptance, now() / 1000);
    if (deps.dpop && dpopRequests.has(req)) {
      return deps.dpop.verify({ proofs: headerValues(req.rawHeaders, 'dpop'), method: record.method, htu: htuOf(req, record.path), ath: looked.hash })
        .then((jkt) => authorized(req, res, record, route, looked, jkt));
    }
    return authorized(req, res, record, route, looked, undefined);
  }

  function authorized(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, looked: CachedIntrospection, dpopJkt: string | undefined): void | Promise<void> {
    const { result } = looked;
    binding.check(req, result.cnf, dpopJkt); // RFC 8705 §3 / RFC 9449: a bound token without its proof is 401, never a bearer token
    if (typeof result.client_id === 'string') record.clientId = result.client_id;
    if (typeof result.sub === 'string') record.sub = result.sub;
    let granted = grantedScopes.get(result);
    if (!granted) grantedScopes.set(result, granted = scopeSet(result.scope));
    requireScopes(granted, route);
    const minted = minter.mint(looked.hash, result, route.audience);
    if (minted instanceof Promise) return minted.then((m) => forward(req, res, record, route, m.jwt));
    forward(req, res, record, route, minted.jwt);
  }

  /** route → bearer → introspection (cached) (createDataPath) → acceptance → scopes → JWT (cached) → forward */
  const handle = createDataPath({
    lifecycle, routes, maxTokenLength: config.introspection.maxTokenLength,
    credential(req) {
      const { token, dpop } = parseAuthorization(headerValues(req.rawHeaders, 'authorization'), config.introspection.maxTokenLength, deps.dpop?.algs);
      if (dpop) dpopRequests.add(req);
      return token;
    },
    passThrough: (url) => url === JWKS_PATH,
    lookup: (token) => introspection.lookup(token),
    authorize,
  });

  const app = new Hono<Env>();
  app.get(JWKS_PATH, (c) => c.body(deps.keys.jwksJson, 200, jwksHeaders));
  app.onError(lifecycle.onError);

  return { app, handle, close: async () => { await Promise.all([...upstreams.values()].map((u) => u.close())); } };
}
