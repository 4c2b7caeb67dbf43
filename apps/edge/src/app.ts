import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hono } from 'hono';
import type { EdgeConfig, EdgeRouteConfig } from '../../../libs/config/index.js';
import { acceptToken, type AcceptanceRules, type CachedIntrospection, type IntrospectionCache, type LookupOptions } from '../../../libs/introspection/index.js';
import type { Minter } from '../../../libs/minting/index.js';
import type { Keyring } from '../../../libs/keys/index.js';
import { createRouteTable } from '../../../libs/routing/index.js';
import { createUpstreamPools, forwardHeaders, headerPolicy, remoteAddress, type Upstream, type UpstreamPools } from '../../../libs/proxy/index.js';
import { keepsTracestate, type Logger, type Metrics, type Tracer } from '../../../libs/observability/index.js';
import { claimSteps, createControlPlane, createDataPath, createForwarder, createRequestLifecycle, type Step, type StepContext } from '../../../libs/server/index.js';
import { createInFlightLimit, peerAddress, type Throttle } from '../../../libs/throttle/index.js';
import { createCertificateBinding } from '../../../libs/pop/index.js';
import { normaliseHtu, parseAuthorization, type DpopVerifier } from '../../../libs/dpop/index.js';
import { headerValues } from '../../../libs/bearer/parse-bearer.js';
import { createPolicyCheck, createPolicyStats, type PolicyCheck, type PolicyStats } from '../../../libs/policy/index.js';

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
  /** RFC 9449 proofs (kept across reloads: its replay cache must survive them) */
  dpop?: DpopVerifier | undefined;
  now?: () => number;
  /** policy counters, kept across reloads (registerPolicyMetrics) */
  policyStats?: PolicyStats;
  /** OpenTelemetry spans, when tracing is on */
  tracer?: Tracer | undefined;
}

const JWKS_PATH = '/.well-known/jwks.json';
type Route = Omit<EdgeRouteConfig, 'upstream'> & { upstream: Upstream; check?: PolicyCheck | undefined; lookupOptions: LookupOptions | undefined };
/** what the edge's steps add to a request's context: the DPoP key's thumbprint, the minted JWT */
interface EdgeContext extends StepContext<Route, CachedIntrospection> { jkt?: string | undefined; jwt?: string }

/**
 * The edge gateway: opaque token in, audience-scoped JWT out, forwarded to
 * the route's micro gateway. With warm caches the whole pipeline runs
 * synchronously; only an introspection or a signature makes it wait. The
 * control-plane app (Hono) serves the JWKS; `handle` is the data path (node:http).
 */
export function createEdgeApp(deps: EdgeDeps): { app: Hono; handle(req: IncomingMessage, res: ServerResponse): boolean; policyStats: PolicyStats; close(): Promise<void> } {
  const { config, introspection, minter } = deps;
  const now = deps.now ?? Date.now;
  const pools = deps.pools ?? createUpstreamPools();
  const upstreams = new Map<string, Upstream>();
  const policyStats = deps.policyStats ?? createPolicyStats();
  policyStats.caches.length = 0;
  const onPolicyFailure = (route: string, err: unknown) => deps.logger.warn({ route, cause: (err as Error).message }, 'policy decision point failed; admitted (failMode open)');
  const routes = createRouteTable<Route>(config.routes.map((route) => {
    const tls = route.upstreamTls ?? config.upstream.tls;
    const key = tls ? `${route.upstream} ${JSON.stringify(tls)}` : route.upstream;
    let upstream = upstreams.get(key);
    if (!upstream) upstreams.set(key, upstream = pools.acquire(route.upstream, { ...config.upstream, tls }));
    const check = createPolicyCheck({ policy: route.policy, route: route.name, audience: route.audience, stats: policyStats, onFailure: onPolicyFailure });
    return { ...route, upstream, check, lookupOptions: route.introspectJwtAccessTokens ? { introspectJwt: true } : undefined };
  }));
  const binding = createCertificateBinding({ forwardedHeader: config.proofOfPossession.forwardedCertificateHeader, trustedPeers: config.server.trustedProxies });
  const policy = headerPolicy(['authorization', 'dpop', ...config.stripHeaders, ...(binding.header ? [binding.header] : [])], config.server.trustedProxies, config.headers);
  const lifecycle = createRequestLifecycle({ logger: deps.logger, realm: config.realm, accessLog: config.logging.accessLog, metrics: deps.metrics, lingerMs: config.server.lingerMs, tracer: deps.tracer });
  const inFlight = createInFlightLimit(config.fairness.maxInFlightPerClient);
  const trusted = new Set(config.server.trustedProxies);
  const jwksHeaders = { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${config.keys.jwksMaxAgeSeconds}` };

  const dpopRequests = new WeakSet<IncomingMessage>();
  const trustedProxies = new Set(config.server.trustedProxies);
  /** the URL a DPoP proof's htu must name: this listener's scheme (or a trusted proxy's), the Host, the canonical path */
  function htuOf(req: IncomingMessage, path: string): string {
    const q = path.indexOf('?');
    const forwardedProto = trustedProxies.has(remoteAddress(req)) ? req.headers['x-forwarded-proto'] : undefined;
    const scheme = config.server.tls ? 'https' : forwardedProto === 'https' ? 'https' : 'http';
    return normaliseHtu(`${scheme}://${req.headers.host ?? ''}${q === -1 ? path : path.slice(0, q)}`) ?? '';
  }

  /** the token is active, from the configured issuer, for the configured audience, within its times */
  const accept: Step<EdgeContext> = ({ record, facts }) => {
    record.cache = facts.outcome;
    acceptToken(facts.result, deps.acceptance, now() / 1000);
  };
  /** RFC 9449: a DPoP request's proof; its key's thumbprint goes on to the binding check */
  const dpopProof: Step<EdgeContext> = (ctx) => {
    const { req, record, facts } = ctx;
    if (!dpopRequests.has(req)) return;
    return deps.dpop!.verify({ proofs: headerValues(req.rawHeaders, 'dpop'), method: record.method, htu: htuOf(req, record.path), ath: facts.hash })
      .then((jkt) => { ctx.jkt = jkt; });
  };
  /** RFC 8705 §3 / RFC 9449: a bound token without its proof is 401, never a bearer token */
  const senderBinding: Step<EdgeContext> = ({ req, facts, jkt }) => { binding.check(req, facts.result.cnf, jkt); };
  const claims = claimSteps<EdgeContext>((ctx) => ctx.facts.result);
  /** the route's rate limits, before minting: a limited request never costs a signature */
  const rateLimit: Step<EdgeContext> = ({ req, route, facts }) => {
    const admission = route.rateLimit && deps.throttle?.admit(route.name, { claims: facts.result, peer: peerAddress(req, trusted) });
    return admission instanceof Promise ? admission : undefined;
  };
  /** one client (client_id, else peer address) holds at most maxInFlightPerClient requests until their responses close; then its JWT, cached or signed */
  const mint: Step<EdgeContext> = (ctx) => {
    ctx.record.onClose = inFlight.enter(ctx.record.clientId ?? remoteAddress(ctx.req));
    const minted = minter.mint(ctx.facts.hash, ctx.facts.result, ctx.route.audience);
    if (minted instanceof Promise) return minted.then((m) => { ctx.jwt = m.jwt; });
    ctx.jwt = minted.jwt;
    return undefined;
  };
  const forwardRequest = createForwarder(lifecycle, config.server);
  /** to the route's micro gateway with the minted JWT; a WebSocket tunnel lives no longer than the introspected exp, and holds its in-flight slot while open */
  const forward: Step<EdgeContext> = (ctx) => {
    const { req, res, record, route } = ctx;
    if (res.destroyed) return; // the client left while the JWT was signed
    const own: Record<string, string> = { authorization: `Bearer ${ctx.jwt}`, 'x-request-id': record.requestId, traceparent: record.traceparent };
    if (route.policy?.decisionHeader && record.policy) own[route.policy.decisionHeader.toLowerCase()] = record.policy;
    const headers = forwardHeaders(req, policy, own, record.host);
    // a client's tracestate goes on only with the trace it belongs to, never with one started here
    if (headers.tracestate !== undefined && !keepsTracestate(req.headers.traceparent, record.traceId)) delete headers.tracestate;
    forwardRequest(ctx, { upstream: route.upstream, headers, responseHeaders: { 'x-request-id': record.requestId }, tokenExp: ctx.facts.result.exp });
  };

  /**
   * route → credential → introspection (cached) (createDataPath), then these steps: acceptance → DPoP proof (when on) →
   * sender binding → identity → scopes → policy → rate limit (when configured) → in-flight slot and JWT (cached) → forward
   */
  const steps: Step<EdgeContext>[] = [
    accept, ...(deps.dpop ? [dpopProof] : []), senderBinding,
    claims.identity, claims.scopes, claims.policy, // policy before minting: a denied request never costs a signature
    ...(deps.throttle ? [rateLimit] : []), mint, forward,
  ];
  const handle = createDataPath<Route, CachedIntrospection, EdgeContext>({
    lifecycle, routes, maxTokenLength: config.introspection.maxTokenLength, maxBodyBytes: config.server.maxBodyBytes,
    credential(req) {
      const { token, dpop } = parseAuthorization(headerValues(req.rawHeaders, 'authorization'), config.introspection.maxTokenLength, deps.dpop?.algs);
      if (dpop) dpopRequests.add(req);
      return token;
    },
    passThrough: (url) => url === JWKS_PATH,
    lookup: (token, req, route) => introspection.lookup(token, remoteAddress(req), route.lookupOptions),
    steps,
  });

  const app = createControlPlane(config.realm, { [JWKS_PATH]: (c) => c.body(deps.keys.jwksJson, 200, jwksHeaders) });

  /** once every request this pipeline admitted has finished, gives its pools back (closing those no longer used) */
  const close = async () => {
    await lifecycle.idle();
    await Promise.all([...upstreams.values()].map((u) => pools.release(u)));
  };
  return { app, handle, policyStats, close };
}
