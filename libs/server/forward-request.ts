import type { OutgoingHttpHeaders } from 'node:http';
import { stripPrefix } from '../routing/index.js';
import type { Upstream } from '../proxy/index.js';
import { forwardUpgrade, isUpgrade } from '../websocket/index.js';
import type { WebSocketRouteConfig } from '../config/websocket-schema.js';
import type { createRequestLifecycle } from './request-lifecycle.js';
import { guardBody, type BodyLimits } from './body-guard.js';
import type { StepContext } from './steps.js';

/** the route fields forwarding reads */
export interface ForwardRoute {
  readonly pathPrefix: string;
  readonly stripPrefix?: boolean | undefined;
  readonly maxBodyBytes?: number | undefined;
  readonly websocket?: WebSocketRouteConfig | undefined;
}

export interface Forwarding {
  upstream: Upstream;
  /** forwardHeaders' output: the gateway's own credential and headers, the client's filtered */
  headers: OutgoingHttpHeaders;
  /** added to the upstream's answer (request id, RateLimit) */
  responseHeaders: Readonly<Record<string, string>>;
  /** the token's `exp` (seconds): a WebSocket tunnel does not outlive it */
  tokenExp: unknown;
}

/** The canonical target exactly as authorized (the route's prefix stripped when it says so). */
export function forwardPath(ctx: StepContext<ForwardRoute, unknown>): string {
  const { record, route } = ctx;
  if (route.stripPrefix) return stripPrefix(record.path, route.pathPrefix, record.query);
  return record.query ? record.path + record.query : record.path;
}

/**
 * The last step of both gateways: the request (its body through the body
 * guard), or a WebSocket upgrade into a tunnel, to the upstream; the
 * upstream's time and failures go into the request's record.
 */
export function createForwarder(lifecycle: ReturnType<typeof createRequestLifecycle>, limits: BodyLimits) {
  return function forwardRequest(ctx: StepContext<ForwardRoute, unknown>, to: Forwarding): void {
    const { req, res, record, route } = ctx;
    const path = forwardPath(ctx);
    const fail = (err: unknown) => lifecycle.fail(res, record, err);
    const sent = performance.now();
    const onResponse = () => { record.upstreamMs = performance.now() - sent; };
    if (isUpgrade(req)) {
      forwardUpgrade(req, res, {
        upstream: to.upstream, path, headers: to.headers, responseHeaders: to.responseHeaders, websocket: route.websocket!, tokenExp: to.tokenExp,
        onResponse, onSwitched: () => { record.switchedAt = performance.now(); }, onError: fail, onEnd: (how) => { record.reason = `websocket_${how}`; },
      });
      return;
    }
    to.upstream.forward(req, res, {
      path, headers: to.headers, responseHeaders: to.responseHeaders, onResponse,
      body: guardBody(req, res, limits, route.maxBodyBytes ?? limits.maxBodyBytes, record.start),
    }, fail);
  };
}
