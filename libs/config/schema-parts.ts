import { z } from 'zod';
import { KEY_MANAGEMENT_ALGORITHMS, SIGNING_ALGORITHMS } from '../keys/algorithms.js';
import { canonicalTarget } from '../routing/canonical-target.js';
import { FROM_TRUSTED_PROXIES_ONLY } from '../proxy/forward-headers.js';
import { serverTlsSchema, upstreamTlsSchema } from './tls-schema.js';
import { websocketSchema } from './websocket-schema.js';

export const httpUrl = z.url({ protocol: /^https?$/, error: (issue) => (issue.code === 'invalid_format' ? 'expected an http(s) URL' : undefined) });

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration as a number of seconds or a string like `500ms`, `10s`, `1m`, `2h`; parsed to milliseconds. */
export const durationMs = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value * 1000;
  const m = DURATION.exec(value.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "500ms", "10s", "1m" or a number of seconds, got "${value}"` });
    return z.NEVER;
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
});

export const serverSchema = z.strictObject({
  host: z.string().default('127.0.0.1').describe('address the listener binds'),
  port: z.number().int().min(0).max(65535).default(8080).describe('port of the data listener (0: any free port)'),
  trustedProxies: z.array(z.string()).default([]).describe('peers whose `Forwarded`/`X-Forwarded-*` headers are believed (exact IP addresses)'),
  maxHeaderBytes: z.number().int().min(1024).max(65536).default(16384).describe('largest request head accepted; larger → 431'),
  keepAliveTimeoutMs: z.number().int().positive().default(5000).describe('idle keep-alive connections are closed after this long'),
  headersTimeoutMs: z.number().int().positive().default(10_000).describe('time a client has to send its complete request head'),
  drainTimeoutMs: z.number().int().nonnegative().default(10_000).describe('on SIGTERM/SIGINT, how long in-flight requests may take to finish'),
  maxBodyBytes: z.number().int().nonnegative().default(1_048_576).describe('largest request body a route accepts unless it sets its own `maxBodyBytes`; larger → 413'),
  bodyIdleTimeoutMs: z.number().int().positive().default(10_000).describe('the longest pause between two pieces of a request body; longer → 408 and the connection closed'),
  requestTimeoutMs: z.number().int().nonnegative().default(60_000).describe('time a client has to send its whole request, head and body; longer → 408 (0 = no limit)'),
  tls: serverTlsSchema.optional().describe('serve HTTPS: certificates (SNI), TLS floor, optional client certificates (see "TLS and proof of possession")'),
  lingerMs: z.number().int().nonnegative().max(30_000).default(2000).describe('after refusing a request whose body was not read: how long its unread bytes are drained before the socket closes'),
  maxConnections: z.number().int().positive().default(10_000).describe('most client connections one process holds open at once (kept-alive, HTTP/2 sessions and WebSocket tunnels included); more are closed at accept and counted in `phantom_connections_dropped_total`. Keep it under the process\'s open-file limit (`ulimit -n`) less the upstream sockets'),
  workers: z.union([z.literal('auto'), z.number().int().positive().max(256)]).default(1).describe('processes serving the data port (node:cluster; auto: one per core); see README "Scaling out"'),
}).refine((s) => s.requestTimeoutMs === 0 || s.requestTimeoutMs >= s.headersTimeoutMs, {
  path: ['requestTimeoutMs'], message: 'must be 0 (no limit) or at least headersTimeoutMs',
});

/** the admin listener: /healthz, /readyz, /metrics, /version (keep it off the public interface) */
export const adminSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('serve the admin listener'),
  host: z.string().default('127.0.0.1').describe('address the admin listener binds (keep it private)'),
  port: z.number().int().min(0).max(65535).default(9901).describe('port of the admin listener (0: any free port)'),
});

export const upstreamSchema = z.strictObject({
  connectTimeoutMs: z.number().int().positive().default(2000).describe('upstream connect timeout; past it → 502'),
  responseTimeoutMs: z.number().int().positive().default(30_000).describe('time until the upstream\'s response headers arrive; longer → 504'),
  maxSockets: z.number().int().positive().default(256).describe('most connections to one upstream'),
  queueTimeoutMs: z.number().int().positive().default(5000).describe('the longest a request waits for a free upstream socket; longer → 503 with Retry-After'),
  maxQueued: z.number().int().nonnegative().default(1024).describe('requests allowed to wait for a socket; more → 503 at once'),
  tls: upstreamTlsSchema.optional().describe('for https upstreams: CA, client certificate (mutual TLS), expected name'),
});

/**
 * headers a client must never send upstream: internal identity headers (`x-auth-*` is a
 * prefix), and method overrides, which would let a backend run DELETE on a request whose
 * scopes were checked as GET
 */
export const stripHeadersSchema = z.array(z.string().regex(/^[A-Za-z0-9-]+\*?$/, 'expected a header name, optionally ending in *'))
  .default(['x-auth-*', 'x-phantom-*', 'x-http-method-override', 'x-http-method', 'x-method-override']);

export const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('log level'),
  accessLog: z.boolean().default(true).describe('one JSON line per request'),
  pretty: z.boolean().default(false).describe('human-readable lines (pino-pretty) for a terminal in development; JSON otherwise'),
});

function canonicalPrefix(prefix: string): boolean {
  try { canonicalTarget(prefix); return true; } catch { return false; }
}

const HEADER_NAME = z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected a header name');

/** what is forwarded of a client's headers (the gateway's own always come first) */
export const headersSchema = z.strictObject({
  maxCount: z.number().int().min(1).max(1000).default(100).describe('most client headers forwarded; more → 431'),
  maxBytes: z.number().int().min(1024).max(262_144).default(12_288).describe('most bytes of forwarded headers, the gateway\'s own included; more → 431'),
  fromTrustedProxiesOnly: z.array(HEADER_NAME).default([...FROM_TRUSTED_PROXIES_ONLY])
    .describe('headers dropped unless the peer is in server.trustedProxies (client-address and URL-override headers)'),
});

const METHOD = z.string().regex(/^[A-Z]+$/, 'expected an upper-case HTTP method such as GET');

/** What every route has, in both programs. */
export const routeBase = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." or "-"').describe('route name, used in limits, metrics and logs (unique)'),
  host: z.string().optional().describe('Host header the route is limited to (compared after normalisation: lower case, no trailing dot, no default port)'),
  pathPrefix: z.string().superRefine((prefix, ctx) => {
    if (!/^\/[^?#;]*$/.test(prefix)) ctx.addIssue({ code: 'custom', message: 'expected a path starting with "/"' });
    else if (!canonicalPrefix(prefix)) ctx.addIssue({ code: 'custom', message: 'expected a path without dot segments, "//", escapes of "/" or control characters, or bad escapes' });
  }).describe('path prefix, matched at segment boundaries on the canonical path; the longest wins'),
  caseSensitive: z.boolean().default(false).describe('match the prefix with the path\'s letter case; off: case-insensitive, as a case-folding backend dispatches'),
  matrixParams: z.boolean().default(false).describe('accept `;` parameters in path segments (matched without them); off: 400'),
  repeatedSlashes: z.boolean().default(false).describe('accept `//` inside the path (matched as one `/`); off: 400'),
  methods: z.array(METHOD).min(1).optional().describe('methods allowed (HEAD follows GET); others → 405'),
  scopes: z.array(z.string().min(1)).default([]).describe('scopes the token must have (see scopeMode)'),
  scopeMode: z.enum(['any', 'all']).default('all').describe('all: every scope; any: at least one'),
  maxBodyBytes: z.number().int().nonnegative().optional().describe('this route\'s largest request body (default: server.maxBodyBytes); larger → 413'),
  websocket: websocketSchema.optional().describe('accept WebSocket upgrades, tunnelled with size and lifetime limits (README "WebSocket"); without it an upgrade → 400'),
};

/**
 * The URL of an upstream (edge route) or backend (micro): http://, or https:// with `upstream.tls`
 * (CA, client certificate) from libs/proxy/upstream-tls.ts.
 */
export const upstreamUrl = httpUrl;

/** Route names identify limits, metrics and logs: two routes may not share one. */
export function uniqueRouteNames(routes: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    if (seen.has(route.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `route name "${route.name}" is used twice` });
    seen.add(route.name);
  });
}

export const signingAlgorithm = z.enum(SIGNING_ALGORITHMS);

export const keyManagementAlgorithm = z.enum(KEY_MANAGEMENT_ALGORITHMS);

/** `server.workers` > 1: each worker holds its own denylist, so revocations must reach them all through Redis */
export function workersNeedRedisFanOut(config: { server: { workers: 'auto' | number }; revocation?: { redis?: unknown } | undefined }, ctx: z.RefinementCtx): void {
  if (config.server.workers !== 1 && config.revocation && !config.revocation.redis) {
    ctx.addIssue({ code: 'custom', path: ['revocation', 'redis'], message: 'required with server.workers other than 1 (every worker holds its own denylist; Redis pub/sub reaches them all)' });
  }
}
