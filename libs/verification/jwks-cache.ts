import { importJWK, type CryptoKey, type JWK, type JWSHeaderParameters } from 'jose';
import { GatewayError } from '../errors/index.js';
import { createSingleFlight } from '../cache/index.js';
import { backoffMs } from '../retry/backoff.js';
import { keyQualityProblem } from './key-quality.js';
import { boundedKeysFetch } from '../proxy/index.js';

export interface JwksCacheOptions {
  url: string;
  /** the fetch to use (default: boundedKeysFetch, a lean fetch bounded to 1 MiB on its own pool), e.g. with a private CA and a client certificate */
  fetch?: ((url: string, init: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<Response>) | undefined;
  timeoutMs: number;
  minAgeSeconds: number;
  maxAgeSeconds: number;
  unknownKidCooldownSeconds: number;
  maxStaleSeconds: number;
  algorithms: readonly string[];
  onEvent?: (event: JwksEvent) => void;
  now?: () => number;
}

export type JwksEvent =
  | { type: 'fetched'; keys: number; rejected: { kid?: string | undefined; problem: string }[]; maxAgeSeconds: number }
  | { type: 'fetch_failed'; error: string };

export interface JwksCache {
  /** jose's key resolver: the key for this header's kid, refetching once for an unknown kid */
  getKey(header: JWSHeaderParameters): Promise<CryptoKey>;
  /** fetch now (shared by concurrent callers); resolves false on failure, keeping the last good keys */
  refresh(): Promise<boolean>;
  /** fetch until the first success, then keep refreshing in the background */
  start(): void;
  stop(): void;
  readonly ready: boolean;
  readonly stats: { fetches: number; failures: number };
}

interface Entry { jwk: JWK; keys: Map<string, Promise<CryptoKey>> }

function maxAgeOf(cacheControl: string | null): number | undefined {
  const m = cacheControl ? /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl) : null;
  return m ? Number(m[1]) : undefined;
}

export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const now = options.now ?? Date.now;
  let keys = new Map<string, Entry>();
  let fetchedAt = -Infinity;
  let freshUntil = -Infinity;
  let lastUnknownKidFetch = -Infinity;
  let unknownKidRefresh: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failuresInRow = 0;
  const flight = createSingleFlight<boolean>();
  const stats = { fetches: 0, failures: 0 };

  async function fetchOnce(): Promise<boolean> {
    stats.fetches++;
    try {
      const response = await (options.fetch ?? boundedKeysFetch())(options.url, { signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'application/jwk-set+json, application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json() as { keys?: unknown };
      if (!body || !Array.isArray(body.keys)) throw new Error('the response is not a JWK Set');
      const next = new Map<string, Entry>();
      const rejected: { kid?: string | undefined; problem: string }[] = [];
      for (const jwk of body.keys as JWK[]) {
        const problem = typeof jwk?.kid !== 'string' ? 'no kid' : keyQualityProblem(jwk);
        if (problem) { rejected.push({ kid: jwk?.kid, problem }); continue; }
        next.set(jwk.kid!, keys.get(jwk.kid!)?.jwk && JSON.stringify(keys.get(jwk.kid!)!.jwk) === JSON.stringify(jwk) ? keys.get(jwk.kid!)! : { jwk, keys: new Map() });
      }
      const maxAge = Math.min(options.maxAgeSeconds, Math.max(options.minAgeSeconds, maxAgeOf(response.headers.get('cache-control')) ?? options.minAgeSeconds));
      keys = next;
      fetchedAt = now();
      freshUntil = fetchedAt + maxAge * 1000;
      failuresInRow = 0;
      options.onEvent?.({ type: 'fetched', keys: next.size, rejected, maxAgeSeconds: maxAge });
      return true;
    } catch (err) {
      stats.failures++;
      failuresInRow++;
      options.onEvent?.({ type: 'fetch_failed', error: (err as Error).message });
      return false;
    }
  }

  function schedule(): void {
    if (stopped) return;
    clearTimeout(timer);
    // refresh at 80 % of the freshness window; after failures, back off from 1 s up to 30 s
    const delay = failuresInRow > 0
      ? backoffMs(failuresInRow - 1)
      : Math.max(1000, (freshUntil - now()) * 0.8);
    timer = setTimeout(() => { void refresh().then(schedule); }, delay);
    timer.unref();
  }

  const refresh = () => flight.run('jwks', fetchOnce).promise;

  function usable(): boolean {
    return fetchedAt > -Infinity && now() <= freshUntil + options.maxStaleSeconds * 1000;
  }

  async function keyFor(entry: Entry, alg: string): Promise<CryptoKey> {
    if (entry.jwk.alg !== undefined && entry.jwk.alg !== alg) {
      throw new GatewayError('invalid_token', 'the token algorithm does not match its key', { reason: 'alg_mismatch' });
    }
    let key = entry.keys.get(alg);
    if (!key) {
      key = importJWK(entry.jwk, alg) as Promise<CryptoKey>;
      entry.keys.set(alg, key);
    }
    try {
      return await key;
    } catch {
      entry.keys.delete(alg);
      throw new GatewayError('invalid_token', 'the token algorithm does not fit its key', { reason: 'alg_mismatch' });
    }
  }

  return {
    stats,
    get ready() { return usable(); },
    refresh,
    start() {
      stopped = false;
      void refresh().then(schedule);
    },
    stop() { stopped = true; clearTimeout(timer); },
    async getKey(header) {
      if (!usable()) {
        await refresh();
        if (!usable()) throw new GatewayError('jwks_unavailable', undefined, { retryAfter: 2, reason: 'jwks_unavailable' });
      }
      const alg = header.alg ?? '';
      if (!options.algorithms.includes(alg)) {
        throw new GatewayError('invalid_token', 'the token algorithm is not allowed', { reason: 'alg_not_allowed' });
      }
      if (typeof header.kid !== 'string') throw new GatewayError('invalid_token', 'the token has no kid', { reason: 'no_kid' });
      let entry = keys.get(header.kid);
      if (!entry) {
        // one refetch per cooldown, shared by every request that waits on an unknown kid
        if (now() - lastUnknownKidFetch >= options.unknownKidCooldownSeconds * 1000) {
          lastUnknownKidFetch = now();
          unknownKidRefresh = refresh();
        }
        if (unknownKidRefresh) {
          await unknownKidRefresh;
          entry = keys.get(header.kid);
        }
      }
      if (!entry) throw new GatewayError('invalid_token', 'the token was signed by an unknown key', { reason: 'unknown_kid' });
      return keyFor(entry, alg);
    },
  };
}
