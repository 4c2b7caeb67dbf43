import { setTimeout as sleep } from 'node:timers/promises';
import type { IntrospectionResponse } from 'oauth4webapi';
import type { Logger } from '../observability/index.js';
import type { RedisConnection } from '../throttle/index.js';

export interface SharedIntrospectionCacheOptions {
  connection: RedisConnection;
  /** each key: the prefix + the token's SHA-256 (never the token) */
  keyPrefix: string;
  /** the single-flight lock expires after this */
  lockMs: number;
  /** a waiter gives up on the lock holder after this, and introspects itself */
  waitMs: number;
  /** an active answer is shared for min(this, exp − now) */
  maxTtlSeconds: number;
  /** an inactive answer is shared this long (0: not shared) */
  inactiveTtlSeconds: number;
  logger: Logger;
  /** the Redis target without credentials, for the log lines */
  target: string;
  now?: () => number;
}

/** An answer and, when it came from Redis, how long it stays fresh there: the instance caches it no longer. */
export interface SharedAnswer { result: IntrospectionResponse; freshMs?: number }

export interface SharedIntrospectionCache {
  /** the shared answer for this token hash, else `call()` — made by one instance of the cluster where possible */
  resolve(hash: string, call: () => Promise<IntrospectionResponse>): Promise<SharedAnswer>;
  /** removes a revoked token's shared answer */
  evict(hash: string): Promise<void>;
  /** true while Redis answers */
  readonly up: boolean;
  readonly stats: { hits: number; joined: number; leads: number; local: number; errors: number };
  close(): Promise<void>;
}

const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

/**
 * The L2 behind the edge's own cache (the L1, which answers warm tokens
 * without touching Redis). On a miss: GET the shared answer; else take a
 * short lock (SET NX PX) and introspect for every instance, or — lock taken —
 * poll for the holder's answer for at most `waitMs`, then introspect
 * locally. Any Redis failure falls back to a local call, never to a refusal.
 */
export function createSharedIntrospectionCache(options: SharedIntrospectionCacheOptions): SharedIntrospectionCache {
  const { connection, keyPrefix, logger } = options;
  const client = connection.client;
  const now = options.now ?? Date.now;
  const stats = { hits: 0, joined: 0, leads: 0, local: 0, errors: 0 };
  let lastState: boolean | undefined;
  const stopWatching = connection.onStatus((up) => {
    if (up === lastState) return;
    if (up) logger.info({ redis: options.target }, 'shared introspection cache connected');
    else logger.warn({ redis: options.target }, 'shared introspection cache unreachable; each instance introspects and caches on its own until Redis is back');
    lastState = up;
  });

  async function read(key: string): Promise<SharedAnswer | undefined> {
    const [value, pttl] = await Promise.all([client.get(key), client.pttl(key)]);
    if (value === null || pttl <= 0) return undefined;
    let result: unknown;
    try { result = JSON.parse(value); } catch { return undefined; }
    if (!result || typeof result !== 'object' || typeof (result as { active?: unknown }).active !== 'boolean') return undefined;
    return { result: result as IntrospectionResponse, freshMs: pttl };
  }

  async function store(key: string, result: IntrospectionResponse): Promise<void> {
    let ttlMs = options.inactiveTtlSeconds * 1000;
    if (result.active === true) {
      ttlMs = options.maxTtlSeconds * 1000;
      if (typeof result.exp === 'number') ttlMs = Math.min(ttlMs, result.exp * 1000 - now());
    }
    ttlMs = Math.floor(ttlMs);
    if (ttlMs <= 0) return;
    await client.set(key, JSON.stringify(result), 'PX', ttlMs).catch(() => { stats.errors++; });
  }

  const local = async (call: () => Promise<IntrospectionResponse>): Promise<SharedAnswer> => {
    stats.local++;
    return { result: await call() };
  };

  /** polls for the lock holder's answer; undefined when it gave up (lock gone, no answer) or took too long */
  async function waitForHolder(key: string, lock: string): Promise<SharedAnswer | undefined> {
    const deadline = now() + options.waitMs;
    for (let delay = FIRST_POLL_MS; now() < deadline; delay = Math.min(delay * 2, MAX_POLL_MS)) {
      await sleep(Math.min(delay, Math.max(1, deadline - now())));
      const [found, locked] = await Promise.all([read(key), client.exists(lock)]);
      if (found) return found;
      // the holder may have stored its answer and let go between the two commands: one more look
      if (locked === 0) return read(key);
    }
    return undefined;
  }

  return {
    stats,
    get up() { return connection.connected; },
    async resolve(hash, call) {
      if (!connection.connected) return local(call);
      // {hash}: the answer and its lock in one Cluster slot, so commands on both run in order on one node
      const key = `${keyPrefix}{${hash}}`;
      const lock = `${key}:lock`;
      let leader = false;
      try {
        const found = await read(key);
        if (found) { stats.hits++; return found; }
        // the lock, and in the same round trip a second look (an answer stored since the first one)
        const [locked, again] = await Promise.all([client.set(lock, '1', 'PX', options.lockMs, 'NX'), read(key)]);
        leader = locked === 'OK';
        if (again) {
          if (leader) await client.del(lock).catch(() => { stats.errors++; });
          stats.hits++;
          return again;
        }
        if (!leader) {
          const joined = await waitForHolder(key, lock);
          if (joined) { stats.joined++; return joined; }
        }
      } catch {
        stats.errors++;
        if (!leader) return local(call);
      }
      if (leader) stats.leads++;
      else stats.local++;
      try {
        const result = await call();
        await store(key, result); // before the lock goes: a waiter that sees no lock finds the answer
        return { result };
      } finally {
        if (leader) await client.del(lock).catch(() => { stats.errors++; });
      }
    },
    async evict(hash) {
      if (!connection.connected) return;
      await client.del(`${keyPrefix}{${hash}}`).catch(() => { stats.errors++; });
    },
    async close() {
      stopWatching();
      await connection.close();
    },
  };
}
