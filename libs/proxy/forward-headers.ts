import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors/index.js';
import { HOP_BY_HOP, connectionScoped } from './hop-by-hop.js';
import { OwnHeaders } from './own-headers.js';

export interface HeaderPolicy {
  /** lower-case names a client must not set (internal identity headers); dropped */
  readonly strip: ReadonlySet<string>;
  /** lower-case prefixes of such names (from patterns like `x-auth-*`) */
  readonly stripPrefixes: readonly string[];
  /** peers (exact IPs) whose Forwarded / X-Forwarded-* are kept and extended */
  readonly trustedProxies: ReadonlySet<string>;
  /** lower-case names kept only from a trusted proxy (client-address and URL-override headers) */
  readonly trustedOnly: ReadonlySet<string>;
  /** most client headers forwarded; more → 431 */
  readonly maxCount: number;
  /** most bytes of forwarded headers, the gateway's own included; more → 431 */
  readonly maxBytes: number;
}

export interface HeaderLimits {
  maxCount: number;
  maxBytes: number;
  fromTrustedProxiesOnly: readonly string[];
}

/**
 * Client-address, scheme, host and URL-override headers that frameworks believe (IIS/ASP.NET, Rack, Symfony,
 * Spring, nginx setups): kept only from trusted proxies.
 */
export const FROM_TRUSTED_PROXIES_ONLY: readonly string[] = [
  'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-forwarded-prefix', 'x-forwarded-path', 'x-forwarded-server',
  'x-original-host', 'x-host', 'x-forwarded-scheme', 'x-forwarded-ssl', 'x-url-scheme', 'front-end-https',
  'true-client-ip', 'x-client-ip', 'x-real-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'fastly-client-ip',
];

/** the defaults of the `headers` configuration block */
export const DEFAULT_HEADER_LIMITS: HeaderLimits = { maxCount: 100, maxBytes: 12_288, fromTrustedProxiesOnly: FROM_TRUSTED_PROXIES_ONLY };

const FORWARDING = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']);
const REQUEST_ID = /^[\w\-=.:]{1,200}$/;

export function remoteAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A HeaderPolicy from configured names and `prefix-*` patterns. */
export function headerPolicy(patterns: readonly string[], trustedProxies: readonly string[], limits: HeaderLimits = DEFAULT_HEADER_LIMITS): HeaderPolicy {
  const lower = patterns.map((p) => p.toLowerCase().replaceAll('_', '-'));
  return {
    trustedOnly: new Set(limits.fromTrustedProxiesOnly.map((p) => p.toLowerCase().replaceAll('_', '-'))),
    maxCount: limits.maxCount,
    maxBytes: limits.maxBytes,
    strip: new Set(lower.filter((p) => !p.endsWith('*'))),
    stripPrefixes: lower.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1)),
    trustedProxies: new Set(trustedProxies),
  };
}

/** The client's `X-Request-Id` when it is sane, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function sizeOf(value: string | string[] | number | undefined): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) { let n = 0; for (const v of value) n += v.length + 2; return n; }
  return value === undefined ? 0 : String(value).length;
}

/**
 * The headers to send upstream. The gateway's own come first (`extra`, then
 * `X-Forwarded-*`), so a backend that keeps only its first N headers still
 * gets them, and no client copy of them follows. Then the client's, less
 * hop-by-hop and stripped names — compared after folding `_` to `-`, the way
 * CGI-style backends read them — and less forwarding and client-address
 * headers unless the peer is a trusted proxy. `Expect` is answered by this
 * server, not forwarded. More client headers than `maxCount`, or more than
 * `maxBytes` in all, is a 431. Framing is the upstream client's job.
 */
export function forwardHeaders(req: IncomingMessage, policy: HeaderPolicy, extra: Readonly<Record<string, string>>, host: string | undefined = req.headers.host): OutgoingHttpHeaders {
  const inbound = req.headers;
  const scoped = connectionScoped(inbound.connection);
  const peer = remoteAddress(req);
  const trusted = policy.trustedProxies.has(peer);
  const out = new OwnHeaders();
  let bytes = 0;
  for (const name in extra) { out[name] = extra[name]; bytes += name.length + extra[name]!.length + 4; }
  const priorFor = trusted ? inbound['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = priorFor ? `${priorFor}, ${peer}` : peer;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  out['x-forwarded-proto'] = (trusted && inbound['x-forwarded-proto']) || proto;
  const forwardedHost = (trusted && inbound['x-forwarded-host']) || host;
  if (forwardedHost) out['x-forwarded-host'] = forwardedHost;
  let count = 0;
  for (const name in inbound) {
    if (name in out || HOP_BY_HOP.has(name) || name === 'host' || name === 'expect' || scoped?.has(name)) continue;
    const folded = name.includes('_') ? name.replaceAll('_', '-') : name;
    if (folded !== name && (folded in out || HOP_BY_HOP.has(folded) || folded === 'host')) continue;
    if (policy.strip.has(folded)) continue;
    if (!trusted && (FORWARDING.has(folded) || policy.trustedOnly.has(folded))) continue;
    if (policy.stripPrefixes.length > 0 && policy.stripPrefixes.some((p) => folded.startsWith(p))) continue;
    const value = inbound[name];
    if (++count > policy.maxCount) throw new GatewayError('header_too_large', 'too many request headers', { reason: 'header_count' });
    bytes += name.length + sizeOf(value) + 4;
    out[name] = value;
  }
  bytes += sizeOf(out['x-forwarded-for']) + sizeOf(out['x-forwarded-proto']) + sizeOf(out['x-forwarded-host']) + 60;
  if (bytes > policy.maxBytes) throw new GatewayError('header_too_large', 'the request headers are too large to forward', { reason: 'header_bytes' });
  return out;
}
