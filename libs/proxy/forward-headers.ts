import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { HOP_BY_HOP, connectionScoped } from './hop-by-hop.js';

export interface HeaderPolicy {
  /** lower-case names a client must not set (internal identity headers); dropped */
  readonly strip: ReadonlySet<string>;
  /** lower-case prefixes of such names (from patterns like `x-auth-*`) */
  readonly stripPrefixes: readonly string[];
  /** peers (exact IPs) whose Forwarded / X-Forwarded-* are kept and extended */
  readonly trustedProxies: ReadonlySet<string>;
}

const FORWARDING = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']);
const REQUEST_ID = /^[\w\-=.:]{1,200}$/;

export function remoteAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A HeaderPolicy from configured names and `prefix-*` patterns. */
export function headerPolicy(patterns: readonly string[], trustedProxies: readonly string[]): HeaderPolicy {
  const lower = patterns.map((p) => p.toLowerCase());
  return {
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

/**
 * The headers to send upstream: hop-by-hop and stripped names removed,
 * forwarding headers kept only from a trusted proxy and then extended,
 * `extra` set last (it wins). `Expect` is answered by this server, not
 * forwarded. Framing is the upstream client's job: a Content-Length stays,
 * a chunked body is re-chunked.
 */
export function forwardHeaders(req: IncomingMessage, policy: HeaderPolicy, extra: Readonly<Record<string, string>>): OutgoingHttpHeaders {
  const inbound = req.headers;
  const scoped = connectionScoped(inbound.connection);
  const peer = remoteAddress(req);
  const trusted = policy.trustedProxies.has(peer);
  const out: OutgoingHttpHeaders = {};
  for (const name in inbound) {
    if (HOP_BY_HOP.has(name) || name === 'host' || name === 'expect' || policy.strip.has(name) || scoped?.has(name)) continue;
    if (!trusted && FORWARDING.has(name)) continue;
    if (policy.stripPrefixes.length > 0 && policy.stripPrefixes.some((p) => name.startsWith(p))) continue;
    out[name] = inbound[name];
  }
  const priorFor = trusted ? inbound['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = priorFor ? `${priorFor}, ${peer}` : peer;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  out['x-forwarded-proto'] = (trusted && inbound['x-forwarded-proto']) || proto;
  const host = (trusted && inbound['x-forwarded-host']) || inbound.host;
  if (host) out['x-forwarded-host'] = host;
  for (const name in extra) out[name] = extra[name];
  return out;
}
