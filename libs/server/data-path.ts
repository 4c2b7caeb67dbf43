import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerValues, parseBearer } from '../bearer/parse-bearer.js';
import { checkRequestPath, type RouteMatchSpec, type RouteTable } from '../routing/index.js';
import type { RequestRecord } from '../observability/index.js';
import type { createRequestLifecycle } from './request-lifecycle.js';

export interface DataPathOptions<R extends RouteMatchSpec> {
  lifecycle: ReturnType<typeof createRequestLifecycle>;
  routes: RouteTable<R>;
  maxTokenLength: number;
  /** paths left to the Hono app (well-known endpoints) */
  passThrough?: (url: string) => boolean;
  /** the program's own steps once the route and the bearer token are known */
  authorize(req: IncomingMessage, res: ServerResponse, record: RequestRecord, route: R, token: string): void | Promise<void>;
}

/**
 * The front of both gateways' data path, on node:http: the request record,
 * path safety, route, bearer token; then the program's own steps. Every
 * refusal, synchronous or not, goes out through the one error model.
 * Returns false for the requests the Hono app serves instead.
 */
export function createDataPath<R extends RouteMatchSpec>(options: DataPathOptions<R>) {
  const { lifecycle, routes } = options;
  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (options.passThrough?.(req.url ?? '/')) return false;
    const record = lifecycle.begin(req, res);
    const fail = (err: unknown) => lifecycle.fail(res, record, err);
    try {
      checkRequestPath(record.path);
      const route = routes.match(req.headers.host, record.path, record.method);
      record.route = route.name;
      const token = parseBearer(headerValues(req.rawHeaders, 'authorization'), options.maxTokenLength);
      const done = options.authorize(req, res, record, route, token);
      if (done) done.catch(fail);
    } catch (err) {
      fail(err);
    }
    return true;
  };
}
