import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hono } from 'hono';
import type { JWK, JWTPayload } from 'jose';
import type { MicroConfig, MicroRouteConfig } from '../../../libs/config/index.js';
import type { VerifiedToken, Verifier } from '../../../libs/verification/index.js';
import { createRouteTable, requireScopes, scopeSet, stripPrefix } from '../../../libs/routing/index.js';
import { createUpstreamPools, forwardHeaders, headerPolicy, type UpstreamPools } from '../../../libs/proxy/index.js';
import type { Logger, Metrics, RequestRecord, Tracer } from '../../../libs/observability/index.js';
import { createControlPlane, createDataPath, createRequestLifecycle, guardBody } from '../../../libs/server/index.js';
import { peerAddress, type Admission, type Throttle } from '../../../libs/throttle/index.js';
import { requireSenderConstraint } from '../../../libs/pop/index.js';
import { createPolicyCheck, createPolicyStats, type PolicyCheck, type PolicyStats } from '../../../libs/policy/index.js';
import { claimHeaderMapper } from './claim-headers.js';
import { forwardUpgrade, isUpgrade } from '../../../libs/websocket/index.js';

export interface MicroDeps {
  config: MicroConfig;
  logger: Logger;
  metrics?: Pick<Metrics, 'observe'>;
  verifier: Verifier;
  throttle: Pick<Throttle, 'admit'>;
  /** this domain's public encryption key, published for the edge */
  encryptionJwk?: JWK | undefined;
  /** the program's upstream pools, shared across reloads (a private set when absent) */
  pools?: UpstreamPools;
  /** policy counters, kept across reloads (registerPolicyMetrics) */
  policyStats?: PolicyStats;
  /** OpenTelemetry spans, when tracing is on */
  tracer?: Tracer | undefined;
}

const JWKS_PATH = '/.well-known/jwks.json';
type Route = MicroRouteConfig & { check?: PolicyCheck | undefined };

/**
 * The micro gateway: verifies the edge's JWT, checks the route's scopes and
 * forwards to its backend. A repeated JWT is served from the verified-token
 * cache synchronously.
 */
export function createMicroApp(deps: MicroDeps): { app: Hono; handle(req: IncomingMessage, res: ServerResponse): boolean; policyStats: PolicyStats; close(): Promise<void> } {
  const { config, verifier } = deps;
  const policyStats = deps.policyStats ?? createPolicyStats();
  policyStats.caches.length = 0;
  const onPolicyFailure = (route: string, err: unknown) => deps.logger.warn({ route, cause: (err as Error).message }, 'policy decision point failed; admitted (failMode open)');
  const routes = createRouteTable<Route>(config.routes.map((route) => ({
    ...route, check: createPolicyCheck({ policy: route.policy, route: route.name, audience: config.audience, stats: policyStats, onFailure: onPolicyFailure }),
  })));
  const pools = deps.pools ?? createUpstreamPools();
  const backend = pools.acquire(config.backend, config.upstream);
  const claimHeaders = claimHeaderMapper(config.claimHeaders, (claim, header, reason) => deps.logger.warn({ claim, header, reason }, 'claim header left out'));
  const policy = headerPolicy(['authorization', ...config.stripHeaders, ...claimHeaders.names], config.server.trustedProxies, config.headers);
  const lifecycle = createRequestLifecycle({ logger: deps.logger, realm: config.realm, accessLog: config.logging.accessLog, metrics: deps.metrics, lingerMs: config.server.lingerMs, tracer: deps.tracer });
  const grantedScopes = new WeakMap<JWTPayload, Set<string>>();
  const trusted = new Set(config.server.trustedProxies);

  function authorize(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, verified: VerifiedToken): void | Promise<void> {
    const { claims } = verified;
    record.cache = verified.cached ? 'hit' : 'miss';
    if (typeof claims.client_id === 'string') record.clientId = claims.client_id;
    if (typeof claims.sub === 'string') record.sub = claims.sub;
    let granted = grantedScopes.get(claims);
    if (!granted) grantedScopes.set(claims, granted = scopeSet(claims.scope));
    requireScopes(granted, route);
    if (route.requireSenderConstraint) requireSenderConstraint(claims);
    const checked = route.check?.(claims, record);
    if (checked) return checked.then(() => admit(req, res, record, route, verified));
    return admit(req, res, record, route, verified);
  }

  function admit(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, verified: VerifiedToken): void | Promise<void> {
    const admission = deps.throttle.admit(route.name, { claims: verified.claims, peer: peerAddress(req, trusted) });
    if (admission instanceof Promise) return admission.then((a) => forward(req, res, record, route, verified, a));
    forward(req, res, record, route, verified, admission);
  }

  function forward(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: Route, verified: VerifiedToken, admission: Admission): void {
    if (res.closed) { admission.release(); return; } // the client left while queued
    record.onClose = admission.release;
    const extra: Record<string, string> = { ...claimHeaders.headersFor(verified.claims), 'x-request-id': record.requestId, traceparent: record.traceparent };
    // the signed JWT goes on (the inner one when it came encrypted), so the backend can verify it
    if (route.policy?.decisionHeader && record.policy) extra[route.policy.decisionHeader.toLowerCase()] = record.policy;
    if (config.forwardJwt) extra.authorization = `Bearer ${verified.jws}`;
    admission.headers['x-request-id'] = record.requestId;
    // the canonical target, exactly as authorized
    const path = route.stripPrefix ? stripPrefix(record.path, route.pathPrefix, record.query) : record.query ? record.path + record.query : record.path;
    const headers = forwardHeaders(req, policy, extra, record.host);
    const sent = performance.now();
    const onResponse = () => { record.upstreamMs = performance.now() - sent; };
    // a WebSocket tunnel lives no longer than the JWT's exp, and holds its admission (concurrency slot) while open
    if (isUpgrade(req)) {
      forwardUpgrade(req, res, {
        upstream: backend, path, headers, responseHeaders: admission.headers, websocket: route.websocket!, tokenExp: verified.claims.exp,
        onResponse, onSwitched: () => { record.switchedAt = performance.now(); }, onError: (err) => lifecycle.fail(res, record, err), onEnd: (how) => { record.reason = `websocket_${how}`; },
      });
      return;
    }
    backend.forward(req, res, {
      path, headers,
      body: guardBody(req, res, config.server, route.maxBodyBytes ?? config.server.maxBodyBytes, record.start),
      responseHeaders: admission.headers,
      onResponse,
    }, (err) => lifecycle.fail(res, record, err));
  }

  const jwksBody = deps.encryptionJwk ? JSON.stringify({ keys: [deps.encryptionJwk] }) : undefined;
  /** route → bearer → verification (cached) (createDataPath) → scopes → throttle → forward */
  const handle = createDataPath({
    lifecycle, routes, maxTokenLength: config.verification.maxTokenLength, maxBodyBytes: config.server.maxBodyBytes,
    passThrough: (url) => url === JWKS_PATH,
    lookup: (token) => verifier.verify(token),
    authorize,
  });

  const jwksHeaders = { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${config.encryption?.jwksMaxAgeSeconds ?? 300}` };
  const app = createControlPlane(config.realm, jwksBody ? { [JWKS_PATH]: (c) => c.body(jwksBody, 200, jwksHeaders) } : {});

  /** once every request this pipeline admitted has finished, gives its backend pool back */
  const close = async () => {
    await lifecycle.idle();
    await pools.release(backend);
  };
  return { app, handle, policyStats, close };
}
