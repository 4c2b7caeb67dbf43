import { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { JWTPayload } from 'jose';
import type { MicroConfig } from '../../../libs/config/index.js';
import { isGatewayError, toResponse } from '../../../libs/errors/index.js';
import { headerValues, parseBearer } from '../../../libs/bearer/parse-bearer.js';
import type { Verifier } from '../../../libs/verification/index.js';
import { checkRequestPath, createRouteTable, requireScopes, scopeSet } from '../../../libs/routing/index.js';
import { createUpstream, forwardHeaders, headerPolicy, requestIdOf } from '../../../libs/proxy/index.js';
import { createRequestLog, type Logger, type RequestRecord } from '../../../libs/observability/index.js';

export interface MicroDeps {
  config: MicroConfig;
  logger: Logger;
  verifier: Verifier;
}

type Env = { Bindings: HttpBindings; Variables: { record: RequestRecord } };

function claimValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  return undefined;
}

/** The micro gateway: verifies the edge's JWT, checks scopes and forwards to its backend. */
export function createMicroApp(deps: MicroDeps): { app: Hono<Env>; close(): void } {
  const { config, verifier } = deps;
  const routes = createRouteTable(config.routes);
  const backend = createUpstream(config.backend, config.upstream);
  const claimHeaders = Object.entries(config.claimHeaders).map(([claim, header]) => [claim, header.toLowerCase()] as const);
  const policy = headerPolicy(['authorization', ...config.stripHeaders, ...claimHeaders.map(([, h]) => h)], config.server.trustedProxies);
  const logRequest = createRequestLog(deps.logger, { accessLog: config.logging.accessLog });
  const grantedScopes = new WeakMap<JWTPayload, Set<string>>();
  const extraHeaders = new WeakMap<JWTPayload, Record<string, string>>();

  function headersFor(claims: JWTPayload, token: string, requestId: string): Record<string, string> {
    let fromClaims = extraHeaders.get(claims);
    if (!fromClaims) {
      fromClaims = {};
      for (const [claim, header] of claimHeaders) {
        const value = claimValue(claims[claim]);
        if (value !== undefined) fromClaims[header] = value;
      }
      extraHeaders.set(claims, fromClaims);
    }
    return config.forwardJwt
      ? { ...fromClaims, authorization: `Bearer ${token}`, 'x-request-id': requestId }
      : { ...fromClaims, 'x-request-id': requestId };
  }

  const app = new Hono<Env>();

  app.all('*', async function micro(c) {
    const { incoming: req, outgoing: res } = c.env;
    const url = req.url ?? '/';
    const record: RequestRecord = { requestId: requestIdOf(req.headers), method: req.method ?? 'GET', path: url, start: performance.now() };
    c.set('record', record);
    res.once('finish', () => logRequest(record, res.statusCode));

    checkRequestPath(url);
    const route = routes.match(req.headers.host, url, record.method);
    record.route = route.name;
    const token = parseBearer(headerValues(req.rawHeaders, 'authorization'), config.verification.maxTokenLength);
    const { claims, cached } = await verifier.verify(token);
    record.cache = cached ? 'hit' : 'miss';
    if (typeof claims.client_id === 'string') record.clientId = claims.client_id;
    if (typeof claims.sub === 'string') record.sub = claims.sub;
    let granted = grantedScopes.get(claims);
    if (!granted) grantedScopes.set(claims, granted = scopeSet(claims.scope));
    requireScopes(granted, route);
    const headers = forwardHeaders(req, policy, headersFor(claims, token, record.requestId));
    const path = route.stripPrefix ? (url.slice(route.pathPrefix.length).replace(/^(?!\/)/, '/')) : url;
    await backend.forward(req, res, { path, headers, responseHeaders: { 'x-request-id': record.requestId } });
    return RESPONSE_ALREADY_SENT;
  });

  app.onError((err, c) => {
    const record = c.get('record');
    if (isGatewayError(err)) {
      if (record) { record.code = err.code; if (err.reason) record.reason = err.reason; }
    } else {
      deps.logger.error({ err, request_id: record?.requestId }, 'unexpected error');
    }
    const response = toResponse(err, config.realm);
    if (record) response.headers.set('x-request-id', record.requestId);
    return response;
  });

  return { app, close: () => backend.close() };
}
