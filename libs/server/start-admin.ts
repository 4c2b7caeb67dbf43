import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Registry } from 'prom-client';
import type { Hono } from 'hono';
import { createControlPlane } from './control-plane.js';

export interface AdminOptions {
  host: string;
  port: number;
  registry: Registry;
  /** what readiness for traffic takes (configuration loaded, dependencies reached, not draining): ready when all hold */
  checks(): Record<string, boolean>;
  /** what /readyz reports besides the checks (e.g. a dependency served in a degraded mode) */
  details?: (() => Record<string, string>) | undefined;
  version: Record<string, string>;
  /** the /metrics text when not this process's registry alone (a worker answers for all workers) */
  metricsText?: (() => Promise<string>) | undefined;
  /** extra control-plane routes mounted at the root (e.g. the revocation API) */
  routes?: Hono | undefined;
}

/**
 * The admin listener, on its own port (127.0.0.1 by default): /healthz
 * (alive), /readyz (ready for traffic), /metrics (Prometheus), /version.
 */
export function startAdmin(options: AdminOptions): Promise<{ server: Server; url: string }> {
  const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  const app = createControlPlane('admin', {
    '/healthz': () => new Response('{"status":"ok"}', { headers: json }),
    '/readyz': () => {
      const checks = options.checks();
      const ready = Object.values(checks).every(Boolean);
      const details = options.details?.();
      return new Response(JSON.stringify({ status: ready ? 'ready' : 'not ready', checks, ...(details ? { details } : {}) }), { status: ready ? 200 : 503, headers: json });
    },
    '/metrics': async () => new Response(await (options.metricsText ?? (() => options.registry.metrics()))(), { headers: { 'content-type': options.registry.contentType } }),
    '/version': () => new Response(JSON.stringify(options.version), { headers: json }),
  });
  // the program's own admin API (revocations …), under the same error model
  if (options.routes) app.route('/', options.routes);
  const server = createServer(getRequestListener(app.fetch));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://${options.host}:${port}` });
    });
  });
}
