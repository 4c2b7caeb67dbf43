import { z } from 'zod';
import { serverTlsSchema, upstreamTlsSchema } from './tls-schema.js';

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
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** peers whose `Forwarded`/`X-Forwarded-*` headers are believed (exact IP addresses) */
  trustedProxies: z.array(z.string()).default([]),
  /** largest request head accepted; larger → 431 */
  maxHeaderBytes: z.number().int().min(1024).max(65536).default(16384),
  keepAliveTimeoutMs: z.number().int().positive().default(5000),
  /** time a client has to send its complete request head */
  headersTimeoutMs: z.number().int().positive().default(10_000),
  /** on SIGTERM/SIGINT, how long in-flight requests may take to finish */
  drainTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** serve HTTPS: certificates (SNI), TLS floor, optional client certificates (see "TLS and proof of possession") */
  tls: serverTlsSchema.optional(),
});

/** the admin listener: /healthz, /readyz, /metrics, /version (keep it off the public interface) */
export const adminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(9901),
});

export const upstreamSchema = z.strictObject({
  connectTimeoutMs: z.number().int().positive().default(2000),
  /** time until the upstream's response headers arrive; longer → 504 */
  responseTimeoutMs: z.number().int().positive().default(30_000),
  maxSockets: z.number().int().positive().default(256),
  /** for https upstreams: CA, client certificate (mutual TLS), expected name */
  tls: upstreamTlsSchema.optional(),
});

/**
 * headers a client must never send upstream: internal identity headers (`x-auth-*` is a
 * prefix), and method overrides, which would let a backend run DELETE on a request whose
 * scopes were checked as GET
 */
export const stripHeadersSchema = z.array(z.string().regex(/^[A-Za-z0-9-]+\*?$/, 'expected a header name, optionally ending in *'))
  .default(['x-auth-*', 'x-phantom-*', 'x-http-method-override', 'x-http-method', 'x-method-override']);

export const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** one JSON line per request */
  accessLog: z.boolean().default(true),
  /** human-readable lines (pino-pretty) for a terminal in development; JSON otherwise */
  pretty: z.boolean().default(false),
});

const METHOD = z.string().regex(/^[A-Z]+$/, 'expected an upper-case HTTP method such as GET');

/** What every route has, in both programs. */
export const routeBase = {
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." or "-"'),
  host: z.string().optional(),
  pathPrefix: z.string().regex(/^\/[^?#]*$/, 'expected a path starting with "/"'),
  methods: z.array(METHOD).min(1).optional(),
  scopes: z.array(z.string().min(1)).default([]),
  scopeMode: z.enum(['any', 'all']).default('all'),
};

export const signingAlgorithm = z.enum(['ES256', 'EdDSA', 'RS256', 'PS256']);

export const keyManagementAlgorithm = z.enum(['ECDH-ES+A256KW', 'RSA-OAEP-256']);
