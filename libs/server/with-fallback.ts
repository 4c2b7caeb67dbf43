import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';

type FetchCallback = Parameters<typeof getRequestListener>[0];
import type { RequestHandler } from './start-server.js';

/**
 * One request handler from a data path (node:http, returns false for what it
 * does not serve) and a Hono app for the rest (well-known endpoints).
 */
export function withFallback(dataPath: (req: IncomingMessage, res: ServerResponse) => boolean, app: { fetch: FetchCallback }): RequestHandler {
  const listener = getRequestListener(app.fetch, { autoCleanupIncoming: false });
  return (req, res) => { if (!dataPath(req, res)) void listener(req, res); };
}
