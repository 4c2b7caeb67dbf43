import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerValues, parseBearer } from '../bearer/parse-bearer.js';
import { checkRequestPath, type RouteMatchSpec, type RouteTable } from '../routing/index.js';
import type { RequestRecord } from '../observability/index.js';
import type { createRequestLifecycle } from './request-lifecycle.js';

export interface DataPathOptions<R extends RouteMatchSpec, F> {
  lifecycle: ReturnType<typeof createRequestLifecycle>;
  routes: RouteTable<R>;
  maxTokenLength: number;
  /** paths left to the Hono app (well-known endpoints) */
  passThrough?: (url: string) => boolean;
  /** the access token of a request (default: `Authorization: Bearer`, RFC 6750); throws the refusal */
  credential?(req: IncomingMessage): string;
  /** what the token stands for (introspection, verification): synchronous from a cache, a promise otherwise */
  lookup(token: string): F | Promise<F>;
  /** the program's own steps once the route and the token's facts are known */
  authorize(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: R, facts: F): void | Promise<void>;
}

/**
 * The front of both gateways' data path, on node:http: the request record,
 * path safety, route, bearer token, the token's facts (without a promise
 * when they are cached); then the program's own steps. Every refusal,
 * synchronous or not, goes out through the one error model.
 * Returns false for the requests the Hono app serves instead.
 */
export function createDataPath<R extends RouteMatchSpec, F>(options: DataPathOptions<R, F>) {
  const { lifecycle, routes } = options;
  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (options.passThrough?.(req.url ?? '/')) return false;
    const record = lifecycle.begin(req, res);
    const fail = (err: unknown) => lifecycle.fail(res, record, err);
    try {
      checkRequestPath(record.path);
      const route = routes.match(req.headers.host, record.path, record.method);
      record.route = route.name;
      const token = options.credential ? options.credential(req) : parseBearer(headerValues(req.rawHeaders, 'authorization'), options.maxTokenLength);
      const facts = options.lookup(token);
      const done = facts instanceof Promise
        ? facts.then((f) => options.authorize(req, res, record, route, f))
        : options.authorize(req, res, record, route, facts);
      if (done) done.catch(fail);
    } catch (err) {
      fail(err);
    }
    return true;
  };
}
