import { Hono, type Handler } from 'hono';
import { GatewayError, toResponse } from '../errors/index.js';

/**
 * A program's control-plane routes (admin API, well-known documents) as one
 * Hono app with the gateway's JSON error model: an unknown path is 404, a
 * known path with another method is 405 with `Allow`, a failure is the
 * documented JSON body. GET routes answer HEAD too.
 */
export function createControlPlane(realm: string, routes: Readonly<Record<string, Handler>>): Hono {
  const app = new Hono();
  for (const [path, handler] of Object.entries(routes)) {
    app.get(path, handler);
    app.all(path, () => { throw new GatewayError('method_not_allowed', `${path} allows GET and HEAD`, { headers: { allow: 'GET, HEAD' } }); });
  }
  app.notFound(() => toResponse(new GatewayError('not_found', 'no such endpoint'), realm));
  app.onError((err) => toResponse(err, realm));
  return app;
}
