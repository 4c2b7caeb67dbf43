import { createUpstream, type Upstream, type UpstreamOptions } from './create-upstream.js';

export interface UpstreamPools {
  /** the pool to this origin with these options, shared by every pipeline that uses it */
  acquire(origin: string, options: UpstreamOptions): Upstream;
  /** one user fewer; the last one out closes the pool (undici lets its requests in flight finish) */
  release(upstream: Upstream): Promise<void>;
  readonly size: number;
}

/**
 * The upstream pools of a program, counted by the pipelines using them: a
 * configuration reload keeps the pools whose origin and options did not
 * change, and closes the others only once the pipeline that used them is
 * idle — a request admitted before a reload never meets a closed pool.
 */
export function createUpstreamPools(): UpstreamPools {
  const pools = new Map<string, { upstream: Upstream; users: number }>();
  const keys = new Map<Upstream, string>();
  return {
    acquire(origin, options) {
      const key = `${origin} ${JSON.stringify(options)}`;
      let entry = pools.get(key);
      if (!entry) {
        entry = { upstream: createUpstream(origin, options), users: 0 };
        pools.set(key, entry);
        keys.set(entry.upstream, key);
      }
      entry.users++;
      return entry.upstream;
    },
    async release(upstream) {
      const key = keys.get(upstream);
      const entry = key === undefined ? undefined : pools.get(key);
      if (!entry || --entry.users > 0) return;
      pools.delete(key!);
      keys.delete(upstream);
      await upstream.close();
    },
    get size() { return pools.size; },
  };
}
