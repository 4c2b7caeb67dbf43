import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/index.js';
import { createFanOut, type FanOut } from './fan-out.js';
import { createRevocationApi } from './revocation-api.js';
import type { RevocationConfig } from './revocation-schema.js';
import { createRevocationService, type RevocationService } from './revocation-service.js';
import { createRevocationStore, type Revocation } from './revocation-store.js';
import { createSetReceiver } from './set-receiver.js';

export interface RevocationFromConfig {
  service: RevocationService;
  /** the admin routes: `POST /revocations`, `POST /revocations/peer`, and `POST /set` when configured */
  routes: Hono;
  fanOut: FanOut;
  close(): Promise<void>;
}

export interface RevocationContext {
  realm: string;
  logger: Logger;
  registry: Registry;
  /** the default `retainSeconds`: the longest a token can still pass from a cache or as a minted JWT */
  defaultRetainSeconds: number;
  /** micro gateways: match the token-hash prefix carried in a minted `jti` */
  tokenHashChars?: number;
  /** every revocation that changed the denylist, whatever its source */
  onApplied?: ((revocation: Revocation) => void) | undefined;
}

/** The whole revocation feature of one instance, from its `revocation` section. */
export function createRevocationFromConfig(config: RevocationConfig, context: RevocationContext): RevocationFromConfig {
  const store = createRevocationStore({
    retainSeconds: config.retainSeconds ?? context.defaultRetainSeconds, maxEntries: config.maxEntries,
    ...(context.tokenHashChars ? { tokenHashChars: context.tokenHashChars } : {}),
  });
  let service: RevocationService | undefined;
  const fanOut = createFanOut({
    redis: config.redis, peers: config.peers, adminToken: config.adminToken, timeoutMs: config.fanOutTimeoutMs, logger: context.logger,
    receive: (revocation) => service!.apply(revocation, 'fanout'),
  });
  service = createRevocationService({ store, logger: context.logger, registry: context.registry, publish: (r) => fanOut.publish(r), onApplied: context.onApplied });
  const routes = new Hono();
  routes.route('/', createRevocationApi({ service, adminToken: config.adminToken, realm: context.realm }));
  if (config.set) routes.route('/', createSetReceiver({ service, ...config.set, timeoutMs: config.fanOutTimeoutMs }));
  return { service, routes, fanOut, close: () => fanOut.close() };
}
