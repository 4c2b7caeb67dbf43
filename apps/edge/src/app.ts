import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { EdgeConfig } from '../../../libs/config/index.js';
import { isGatewayError, toResponse } from '../../../libs/errors/index.js';
import { headerValues, parseBearer } from '../../../libs/bearer/parse-bearer.js';
import { acceptToken, type AcceptanceRules, type IntrospectionCache } from '../../../libs/introspection/index.js';
import type { Minter } from '../../../libs/minting/index.js';
import type { SigningKeys } from '../../../libs/keys/index.js';
import { checkRequestPath, createRouteTable, requireScopes, scopeSet } from '../../../libs/routing/index.js';
import { createUpstream, forwardHeaders, headerPolicy, requestIdOf, type Upstream } from '../../../libs/proxy/index.js';
import { createRequestLog, type Logger, type RequestRecord } from '../../../libs/observability/index.js';

export interface EdgeDeps {
  config: EdgeConfig;
  logger: Logger;
  introspection: IntrospectionCache;
  acceptance: AcceptanceRules;
  minter: Minter;
  keys: SigningKeys;
  now?: () => number;
}

type Env = { Bindings: HttpBindings; Variables: { record: RequestRecord } };

function stripPrefix(url: string, prefix: string): string {
  const rest = url.slice(prefix.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** The edge gateway: opaque token in, audience-scoped JWT out, forwarded to the route's micro gateway. */
export function createEdgeApp(deps: EdgeDeps): { app: Hono<Env>; close(): void } {
  const { config, introspection, minter } = deps;
  const now = deps.now ?? Date.now;
  const upstreams = new Map<string, Upstream>();
  const routes = createRouteTable(config.routes.map((route) => {
    let upstream = upstreams.get(route.upstream);
    if (!upstream) upstreams.set(route.upstream, upstream = createUpstream(route.upstream, config.upstream));
    return { ...route, upstream };
  }));
  const policy = headerPolicy(['authorization', ...config.stripHeaders], config.server.trustedProxies);
  const logRequest = createRequestLog(deps.logger, { accessLog: config.logging.accessLog });
  const grantedScopes = new WeakMap<object, Set<string>>();
  const jwksBody = JSON.stringify(deps.keys.jwks());
  const jwksHeaders = { 'content-type': 'application/jwk-set+json', 'cache-control': `public, max-age=${config.keys.jwksMaxAgeSeconds}` };

  const app = new Hono<Env>();

  app.get('/.well-known/jwks.json', (c) => c.body(jwksBody, 200, jwksHeaders));

  app.all('*', async function edge(c) {
    const { incoming: req, outgoing: res } = c.env;
    const url = req.url ?? '/';
    const record: RequestRecord = { requestId: requestIdOf(req.headers), method: req.method ?? 'GET', path: url, start: performance.now() };
    c.set('record', record);
    res.once('finish', () => logRequest(record, res.statusCode));

    checkRequestPath(url);
    const route = routes.match(req.headers.host, url, record.method);
    record.route = route.name;
    const token = parseBearer(headerValues(req.rawHeaders, 'authorization'), config.introspection.maxTokenLength);
    const { hash, result, outcome } = await introspection.lookup(token);
    record.cache = outcome;
    acceptToken(result, deps.acceptance, now() / 1000);
    if (typeof result.client_id === 'string') record.clientId = result.client_id;
    if (typeof result.sub === 'string') record.sub = result.sub;
    let granted = grantedScopes.get(result);
    if (!granted) grantedScopes.set(result, granted = scopeSet(result.scope));
    requireScopes(granted, route);
    const { jwt } = await minter.mint(hash, result, route.audience);
    const headers = forwardHeaders(req, policy, { authorization: `Bearer ${jwt}`, 'x-request-id': record.requestId });
    await route.upstream.forward(req, res, {
      path: route.stripPrefix ? stripPrefix(url, route.pathPrefix) : url,
      headers,
      responseHeaders: { 'x-request-id': record.requestId },
    });
    return RESPONSE_ALREADY_SENT;
  });

  app.onError((err, c) => {
    const record = c.get('record');
    if (isGatewayError(err)) {
      if (record) { record.code = err.code; if (err.reason) record.reason = err.reason; }
      if (err.status >= 500 && err.cause) deps.logger.warn({ request_id: record?.requestId, code: err.code, reason: err.reason, cause: String((err.cause as Error).message ?? err.cause) }, 'dependency failure');
    } else {
      deps.logger.error({ err, request_id: record?.requestId }, 'unexpected error');
    }
    const response = toResponse(err, config.realm);
    if (record) response.headers.set('x-request-id', record.requestId);
    return response;
  });

  return { app, close: () => { for (const u of upstreams.values()) u.close(); } };
}
