import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';

/** Where Redis is: exactly one of a single node (`redis://`, `rediss://`), Sentinel, or Cluster. */
export interface RedisTarget {
  /** a single node: `redis://[user:password@]host:port/db`, `rediss://` for TLS */
  url?: string | undefined;
  /** Sentinel: the master's name and the sentinels (`host:port`) */
  sentinel?: { name: string; nodes: readonly string[]; password?: string | undefined; sentinelPassword?: string | undefined; db?: number | undefined } | undefined;
  /** Cluster: a few seed nodes (`redis://` or `rediss://` URLs); the rest is discovered */
  cluster?: { nodes: readonly string[] } | undefined;
  /** extra CA certificate (PEM file) for `rediss://` servers with a private CA */
  caFile?: string | undefined;
  connectTimeoutMs: number;
}

export interface RedisConnection {
  readonly client: Redis | Cluster;
  /** true while commands can be sent */
  readonly connected: boolean;
  /** calls back with true when Redis becomes ready, false when the connection is lost; returns the unsubscribe */
  onStatus(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

function hostPort(spec: string): { host: string; port: number } {
  const i = spec.lastIndexOf(':');
  return i === -1 ? { host: spec, port: 26379 } : { host: spec.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(spec.slice(i + 1)) };
}

/** A description safe to log: no credentials. */
export function describeRedisTarget(target: RedisTarget): string {
  const bare = (u: string) => { const url = new URL(u); return `${url.protocol}//${url.host}`; };
  if (target.sentinel) return `sentinel ${target.sentinel.name} via ${target.sentinel.nodes.join(',')}`;
  if (target.cluster) return `cluster via ${target.cluster.nodes.map(bare).join(',')}`;
  return `single node ${bare(target.url!)}`;
}

/**
 * One ioredis client for any topology, set up for a gateway's hot path: no
 * offline queue and no retries per command (a command fails at once while
 * disconnected, and the caller applies its fallback), reconnection in the
 * background, auto-pipelining (commands issued in one tick share one write),
 * and each command bounded by `connectTimeoutMs` (a stalled Redis fails like a lost one).
 * Meant to be shared by throttling, the shared cache and the revocation channel.
 */
export function createRedisConnection(target: RedisTarget): RedisConnection {
  const ca = target.caFile ? readFileSync(target.caFile) : undefined;
  const common: RedisOptions = {
    connectTimeout: target.connectTimeoutMs,
    // a Redis that stops answering on an open connection (paused, overloaded, a link that drops packets) stays
    // `ready`: without a bound every command would wait forever, and the requests behind it with it
    commandTimeout: target.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
  const fromUrl = (u: string): RedisOptions => {
    const url = new URL(u);
    return {
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: { ...(isIP(url.hostname) ? {} : { servername: url.hostname }), ...(ca ? { ca } : {}) } } : {}),
    };
  };
  let client: Redis | Cluster;
  if (target.cluster) {
    const nodes: ClusterNode[] = target.cluster.nodes.map((u) => { const url = new URL(u); return { host: url.hostname, port: Number(url.port || 6379) }; });
    client = new Cluster(nodes, {
      redisOptions: { ...common, ...fromUrl(target.cluster.nodes[0]!) },
      enableOfflineQueue: false, enableAutoPipelining: true,
      clusterRetryStrategy: (times: number) => Math.min(times * 200, 2000),
      ...(fromUrl(target.cluster.nodes[0]!).tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    });
  } else if (target.sentinel) {
    const s = target.sentinel;
    client = new Redis({
      ...common, name: s.name, sentinels: s.nodes.map(hostPort), db: s.db ?? 0,
      ...(s.password ? { password: s.password } : {}), ...(s.sentinelPassword ? { sentinelPassword: s.sentinelPassword } : {}),
      sentinelRetryStrategy: (times: number) => Math.min(times * 200, 2000),
    });
  } else {
    const url = new URL(target.url!);
    client = new Redis({ ...common, ...fromUrl(target.url!), host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0) });
  }
  client.on('error', () => { /* state changes reach onStatus listeners; ioredis keeps reconnecting */ });
  return {
    client,
    get connected() { return client.status === 'ready'; },
    onStatus(listener) {
      const up = () => listener(true);
      const down = () => listener(false);
      client.on('ready', up).on('close', down).on('end', down);
      return () => { client.off('ready', up).off('close', down).off('end', down); };
    },
    async close() { client.disconnect(false); },
  };
}
