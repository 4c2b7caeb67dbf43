import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hono } from 'hono';
import type { JWK } from 'jose';
import type { MicroConfig, MicroRouteConfig } from '../../../libs/config/index.js';
import type { VerifiedToken, Verifier } from '../../../libs/verification/index.js';
import { createRouteTable } from '../../../libs/routing/index.js';
import { createUpstreamPools, forwardHeaders, headerPolicy, type UpstreamPools } from '../../../libs/proxy/index.js';
import type { Logger, Metrics, Tracer } from '../../../libs/observability/index.js';
import { claimSteps, createControlPlane, createDataPath, createForwarder, createRequestLifecycle, type Step, type StepContext } from '../../../libs/server/index.js';
import { RequestSubject, type Admission, type Throttle } from '../../../libs/throttle/index.js';
import { requireSenderConstraint } from '../../../libs/pop/index.js';
import { createPolicyCheck, createPolicyStats, type PolicyCheck, type PolicyStats } from '../../../libs/policy/index.js';
import { claimHeaderMapper } from './claim-headers.js';

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
/** what the micro gateway's steps add to a request's context: the throttle's admission */
interface MicroContext extends StepContext<Route, VerifiedToken> { admission?: Admission }

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
  const trusted = new Set(config.server.trustedProxies);

  /** the JWT verified (or taken from the verified-token cache) */
  const verified: Step<MicroContext> = ({ record, facts }) => { record.cache = facts.cached ? 'hit' : 'miss'; };
  const claims = claimSteps<MicroContext>((ctx) => ctx.facts.claims);
  /** the route asks that the edge checked a proof of possession (RFC 8705 / RFC 9449) */
  const senderConstraint: Step<MicroContext> = ({ route, facts }) => { if (route.requireSenderConstraint) requireSenderConstraint(facts.claims); };
  /** the route's rate limits and concurrency gate; the admission is held until the response closes */
  const admit: Step<MicroContext> = (ctx) => {
    const admission = deps.throttle.admit(ctx.route.name, new RequestSubject(ctx.facts.claims, ctx.req, trusted));
    if (admission instanceof Promise) return admission.then((a) => { ctx.admission = a; });
    ctx.admission = admission;
    return undefined;
  };
  const forwardRequest = createForwarder(lifecycle, config.server);
  /** to the backend; a WebSocket tunnel lives no longer than the JWT's exp, and holds its admission (concurrency slot) while open */
  const forward: Step<MicroContext> = (ctx) => {
    const { req, res, record, route, facts } = ctx;
    const admission = ctx.admission!;
    if (res.closed) { admission.release(); return; } // the client left while queued
    record.onClose = admission.release;
    const extra: Record<string, string> = { ...claimHeaders.headersFor(facts.claims), 'x-request-id': record.requestId, traceparent: record.traceparent };
    if (route.policy?.decisionHeader && record.policy) extra[route.policy.decisionHeader.toLowerCase()] = record.policy;
    // the signed JWT goes on (the inner one when it came encrypted), so the backend can verify it
    if (config.forwardJwt) extra.authorization = `Bearer ${facts.jws}`;
    admission.headers['x-request-id'] = record.requestId;
    forwardRequest(ctx, { upstream: backend, headers: forwardHeaders(req, policy, extra, record.host), responseHeaders: admission.headers, tokenExp: facts.claims.exp });
  };

  const jwksBody = deps.encryptionJwk ? JSON.stringify({ keys: [deps.encryptionJwk] }) : undefined;
  /** route → bearer → verification (cached) (createDataPath), then these steps: identity → scopes → sender constraint → policy → throttle → forward */
  const handle = createDataPath<Route, VerifiedToken, MicroContext>({
    lifecycle, routes, maxTokenLength: config.verification.maxTokenLength, maxBodyBytes: config.server.maxBodyBytes,
    passThrough: (url) => url === JWKS_PATH,
    lookup: (token) => verifier.verify(token),
    steps: [verified, claims.identity, claims.scopes, senderConstraint, claims.policy, admit, forward],
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
