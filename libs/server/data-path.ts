import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerValues, parseBearer } from '../bearer/parse-bearer.js';
import { canonicalTarget, normaliseHost, type RouteMatchSpec, type RouteTable } from '../routing/index.js';
import type { RequestRecord } from '../observability/index.js';
import type { createRequestLifecycle } from './request-lifecycle.js';
import { isClosing } from './linger-close.js';
import { checkDeclaredLength } from './body-guard.js';
import { runSteps, type Step, type StepContext } from './steps.js';
import { checkUpgrade, isUpgrade } from '../websocket/index.js';
import type { WebSocketRouteConfig } from '../config/websocket-schema.js';

type RouteLimits = { maxBodyBytes?: number | undefined; websocket?: WebSocketRouteConfig | undefined };

export interface DataPathOptions<R extends RouteMatchSpec & RouteLimits, F, C extends StepContext<R, F> = StepContext<R, F>> {
  lifecycle: ReturnType<typeof createRequestLifecycle>;
  routes: RouteTable<R>;
  maxTokenLength: number;
  /** the largest body of a route that sets none */
  maxBodyBytes: number;
  /** paths left to the Hono app (well-known endpoints) */
  passThrough?: (url: string) => boolean;
  /** the access token of a request (default: `Authorization: Bearer`, RFC 6750); throws the refusal */
  credential?(req: IncomingMessage): string;
  /** what the token stands for (introspection, verification): synchronous from a cache, a promise otherwise */
  lookup(token: string, req: IncomingMessage, route: R): F | Promise<F>;
  /** the program's own steps once the route and the token's facts are known, in order (libs/server/steps.ts) */
  steps: readonly Step<C>[];
}

/**
 * The front of both gateways' data path, on node:http: the request record,
 * path safety, route, bearer token, the token's facts (without a promise
 * when they are cached); then the program's own steps. Every refusal,
 * synchronous or not, goes out through the one error model.
 * Returns false for the requests the Hono app serves instead.
 */
export function createDataPath<R extends RouteMatchSpec & RouteLimits, F, C extends StepContext<R, F> = StepContext<R, F>>(options: DataPathOptions<R, F, C>) {
  const { lifecycle, routes, steps } = options;
  // one context per request, the same shape for every request; a program's steps add their own fields to it
  const run = (req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: R, facts: F) => runSteps(steps, { req, res, record, route, facts } as C);
  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (options.passThrough?.(req.url ?? '/')) return false;
    // pipelined behind a refusal that is closing the connection: no answer, no work, nothing in flight
    if (isClosing(req.socket)) return true;
    const record = lifecycle.begin(req, res);
    const fail = (err: unknown) => lifecycle.fail(res, record, err);
    try {
      // one canonical target: matched, logged and forwarded (record.path + record.query)
      const target = canonicalTarget(record.path);
      record.path = target.path;
      record.query = target.query;
      record.host = normaliseHost(headerValues(req.rawHeaders, 'host'), (req.socket as { encrypted?: boolean }).encrypted === true);
      const route = routes.match(record.host, target, record.method);
      record.route = route.name;
      // an upgrade on a route that has not opted in, or not a clean WebSocket handshake: refused before any token work
      if (isUpgrade(req)) checkUpgrade(req, route.websocket);
      const token = options.credential ? options.credential(req) : parseBearer(headerValues(req.rawHeaders, 'authorization'), options.maxTokenLength);
      // a declared body over the route's limit is refused before the token is looked up and before a byte of it is read
      checkDeclaredLength(req, route.maxBodyBytes ?? options.maxBodyBytes);
      const facts = options.lookup(token, req, route);
      const done = facts instanceof Promise
        ? facts.then((f) => run(req, res, record, route, f))
        : run(req, res, record, route, facts);
      if (done) done.catch(fail);
    } catch (err) {
      fail(err);
    }
    return true;
  };
}
