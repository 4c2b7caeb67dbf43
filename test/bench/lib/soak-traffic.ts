/**
 * The soak's mixed traffic against the edge, paced to a target rate: valid
 * tokens, junk, expired (the dev AS's 3-second `short-lived` client) and
 * revoked tokens, refusals (no token, malformed header, wrong scope, unknown
 * route, oversized header, a rate-limited route), and slow clients on raw
 * sockets (a head sent a byte a second, a body that stalls). Counts every
 * status by kind; keeps each 5xx with its error code and time.
 */
import { Pool } from 'undici';
import { randomBytes } from 'node:crypto';
import { getToken, revoke } from '../../support/topology.js';
import { rawConnect } from '../../support/raw-socket.js';

export type Kind = 'valid' | 'junk' | 'expired' | 'revoked' | 'no-token' | 'malformed' | 'wrong-scope' | 'no-route' | 'big-header' | 'rate-limited' | 'slow-head' | 'slow-body';
export interface ServerError { at: number; kind: Kind; status: number; code: string }

export interface SoakTraffic {
  counts: Map<Kind, Map<string, number>>;
  serverErrors: ServerError[];
  /** gets new tokens (after an AS restart the old ones are unknown to it) */
  refreshTokens(): Promise<void>;
  stop(): Promise<void>;
}

const WEIGHTS: [Kind, number][] = [
  ['valid', 55], ['junk', 8], ['expired', 5], ['revoked', 5], ['no-token', 4], ['malformed', 3],
  ['wrong-scope', 5], ['no-route', 3], ['big-header', 2], ['rate-limited', 10],
];
const TOTAL = WEIGHTS.reduce((n, [, w]) => n + w, 0);
function pick(): Kind {
  let r = Math.random() * TOTAL;
  for (const [kind, w] of WEIGHTS) if ((r -= w) < 0) return kind;
  return 'valid';
}

export function startSoakTraffic(options: { edgeUrl: string; asUrl: () => string; rate: number; connections: number; now: () => number }): SoakTraffic {
  const pool = new Pool(options.edgeUrl, { connections: options.connections });
  const counts = new Map<Kind, Map<string, number>>();
  const serverErrors: ServerError[] = [];
  const count = (kind: Kind, outcome: string) => {
    let byOutcome = counts.get(kind);
    if (!byOutcome) counts.set(kind, byOutcome = new Map());
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  };
  const as = () => ({ url: options.asUrl() }) as Parameters<typeof getToken>[0];
  let valid: string[] = [];
  let narrow: string[] = [];
  let revoked: string[] = [];
  const expired: { token: string; at: number }[] = [];

  async function refreshTokens(): Promise<void> {
    const fresh = await Promise.all(Array.from({ length: 20 }, () => getToken(as(), { scope: 'orders:read inventory:read' })));
    const wrong = await Promise.all(Array.from({ length: 5 }, () => getToken(as(), { scope: 'inventory:read' })));
    const gone = await Promise.all(Array.from({ length: 5 }, () => getToken(as(), { scope: 'orders:read' })));
    for (const t of gone) await revoke(as(), t);
    [valid, narrow, revoked] = [fresh, wrong, gone];
  }
  /** a new short-lived token now and then: it expires 3 s after issue and is used from 4 s on */
  async function addExpired(): Promise<void> {
    const token = await getToken(as(), { client: ['short-lived', 'short-secret'], scope: 'orders:read' });
    expired.push({ token, at: Date.now() });
    if (expired.length > 50) expired.shift();
  }

  const any = <T>(xs: T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];
  function request(kind: Kind): { path: string; headers: Record<string, string> } | undefined {
    const id = Math.floor(Math.random() * 1000);
    const bearer = (t: string | undefined) => (t ? { authorization: `Bearer ${t}` } : undefined);
    switch (kind) {
      case 'valid': { const h = bearer(any(valid)); return h && { path: Math.random() < 0.5 ? `/orders/${id}?q=${id}` : `/inventory/${id}`, headers: h }; }
      case 'junk': return { path: `/orders/${id}`, headers: { authorization: `Bearer junk-${randomBytes(12).toString('hex')}` } };
      case 'expired': { const e = expired.filter((x) => Date.now() - x.at > 4000); const h = bearer(any(e)?.token); return h && { path: `/orders/${id}`, headers: h }; }
      case 'revoked': { const h = bearer(any(revoked)); return h && { path: `/orders/${id}`, headers: h }; }
      case 'no-token': return { path: `/orders/${id}`, headers: {} };
      case 'malformed': return { path: `/orders/${id}`, headers: { authorization: 'Bearer two tokens' } };
      case 'wrong-scope': { const h = bearer(any(narrow)); return h && { path: `/orders/${id}`, headers: h }; }
      case 'no-route': { const h = bearer(any(valid)); return h && { path: `/nowhere/${id}`, headers: h }; }
      case 'big-header': return { path: `/orders/${id}`, headers: { 'x-filler': 'a'.repeat(20_000) } };
      case 'rate-limited': { const h = bearer(valid[0]); return h && { path: `/orders/limited/${id}`, headers: h }; }
      default: return undefined;
    }
  }

  let running = true;
  const interval = (options.connections / options.rate) * 1000;
  async function worker(): Promise<void> {
    while (running) {
      const started = performance.now();
      const kind = pick();
      const r = request(kind);
      if (r) {
        try {
          const res = await pool.request({ path: r.path, method: 'GET', headers: r.headers });
          const text = await res.body.text();
          count(kind, String(res.statusCode));
          if (res.statusCode >= 500) {
            let code = '';
            try { code = (JSON.parse(text) as { error?: string }).error ?? ''; } catch { code = 'not-json'; }
            serverErrors.push({ at: options.now(), kind, status: res.statusCode, code });
          }
        } catch (err) {
          count(kind, `error:${(err as { code?: string }).code ?? 'unknown'}`);
        }
      }
      const wait = interval - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** a slow client every 2 s: a request head one byte a second, or a body that stalls half-way; how the edge ends it */
  async function slowClient(kind: 'slow-head' | 'slow-body'): Promise<void> {
    const client = await rawConnect(options.edgeUrl);
    const head = kind === 'slow-head'
      ? 'GET /orders/1 HTTP/1.1\r\nHost: soak\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n'
      : `POST /orders/1 HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer ${valid[0] ?? 'x'}\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(100)}`;
    const dribble = kind === 'slow-head' ? head : '';
    if (kind === 'slow-body') client.write(head);
    let i = 0;
    const timer = setInterval(() => { if (i < dribble.length) client.write(dribble[i++]!); }, 1000);
    const closedBy = await Promise.race([client.closed.then(() => 'closed'), new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    clearInterval(timer);
    client.socket.destroy();
    const status = /^HTTP\/1\.1 (\d{3})/.exec(client.received())?.[1];
    count(kind, status ?? closedBy);
  }
  const slow: Promise<void>[] = [];
  const slowTimer = setInterval(() => {
    if (slow.length < 10) {
      const p = slowClient(Math.random() < 0.5 ? 'slow-head' : 'slow-body').catch((err: Error) => { count('slow-head', `error:${err.message}`); });
      slow.push(p);
      void p.finally(() => slow.splice(slow.indexOf(p), 1));
    }
  }, 2000);
  const expiredTimer = setInterval(() => { void addExpired().catch(() => undefined); }, 1000);
  const workers = Array.from({ length: options.connections }, () => worker());

  return {
    counts, serverErrors, refreshTokens,
    async stop() {
      running = false;
      clearInterval(slowTimer);
      clearInterval(expiredTimer);
      await Promise.all(workers);
      await Promise.all(slow);
      await pool.close();
    },
  };
}
