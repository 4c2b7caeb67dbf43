import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { Logger } from '../observability/index.js';
import { REVOCATION_KINDS, type Revocation } from './revocation-store.js';

export interface FanOutOptions {
  /** Redis pub/sub: every instance subscribed to `channel` gets every revocation */
  redis?: { url: string; channel: string } | undefined;
  /** without Redis: the admin URLs of the other instances (`POST <peer>/revocations/peer`) */
  peers: readonly string[];
  adminToken: string;
  timeoutMs: number;
  logger: Logger;
  /** a revocation from another instance */
  receive(revocation: Revocation): void;
}

export interface FanOut {
  publish(revocation: Revocation): void;
  /** true while the Redis subscription is up (always true without Redis) */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** a revocation as it travels between instances (never a raw token: token revocations are hashes) */
export function parseRevocation(value: unknown): Revocation | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { kind, value: v, at } = value as Record<string, unknown>;
  if (!REVOCATION_KINDS.includes(kind as Revocation['kind']) || typeof v !== 'string' || v.length === 0 || v.length > 1024) return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  return { kind: kind as Revocation['kind'], value: v, at };
}

/**
 * Tells the other instances: through Redis pub/sub (publisher and subscriber
 * connections; each instance ignores its own messages), and/or by POSTing to
 * configured peers. Pub/sub delivers at most once: an instance disconnected
 * from Redis misses what was published meanwhile (logged), so revoke at the
 * AS too — the denylist only bridges the caches.
 */
export function createFanOut(options: FanOutOptions): FanOut {
  const origin = randomUUID();
  const { logger } = options;
  let connected = !options.redis;
  let pub: Redis | undefined;
  let sub: Redis | undefined;
  if (options.redis) {
    const { url, channel } = options.redis;
    const clientOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false };
    pub = new Redis(url, clientOptions);
    sub = new Redis(url, { ...clientOptions, enableOfflineQueue: true });
    pub.on('error', () => { /* logged through the subscriber's state */ });
    sub.on('error', () => { /* ioredis reconnects; the state change is logged below */ });
    sub.on('ready', () => {
      connected = true;
      logger.info({ channel }, 'revocation fan-out connected');
    });
    sub.on('close', () => {
      if (connected) logger.warn({ channel }, 'revocation fan-out lost Redis; revocations published meanwhile are missed here');
      connected = false;
    });
    void sub.subscribe(channel).catch(() => { /* ioredis re-subscribes after a reconnect */ });
    sub.on('message', (_channel: string, message: string) => {
      let parsed: unknown;
      try { parsed = JSON.parse(message); } catch { return; }
      if ((parsed as { origin?: unknown })?.origin === origin) return;
      const revocation = parseRevocation(parsed);
      if (revocation) options.receive(revocation);
    });
  }

  return {
    get connected() { return connected; },
    publish(revocation) {
      const body = JSON.stringify({ origin, ...revocation });
      if (pub && options.redis) {
        pub.publish(options.redis.channel, body).catch((err: Error) => logger.error({ err: err.message }, 'revocation not published to Redis'));
      }
      for (const peer of options.peers) {
        request(`${peer}/revocations/peer`, {
          method: 'POST', body, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.adminToken}` },
        }).then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 202) logger.error({ peer, status: res.statusCode }, 'peer refused the revocation');
        }, (err: Error) => logger.error({ peer, err: err.message }, 'revocation not delivered to peer'));
      }
    },
    async close() {
      pub?.disconnect();
      sub?.disconnect();
    },
  };
}
