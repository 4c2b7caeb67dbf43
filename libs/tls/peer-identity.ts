import type { TLSSocket } from 'node:tls';

export interface PeerAllowList {
  subjects: readonly string[];
  dns: readonly string[];
  uris: readonly string[];
}

/** the identities a peer certificate carries: subject CN, SAN DNS names and URIs */
export function peerIdentities(cert: { subject?: { CN?: string | string[] }; subjectaltname?: string }): { subjects: string[]; dns: string[]; uris: string[] } {
  const cn = cert.subject?.CN;
  const subjects = cn === undefined ? [] : Array.isArray(cn) ? cn : [cn];
  const dns: string[] = [];
  const uris: string[] = [];
  for (const entry of cert.subjectaltname?.split(', ') ?? []) {
    if (entry.startsWith('DNS:')) dns.push(entry.slice(4).toLowerCase());
    else if (entry.startsWith('URI:')) uris.push(entry.slice(4));
  }
  return { subjects, dns, uris };
}

/**
 * The allow-list check of a listener that requires client certificates:
 * the peer's certificate must have verified against the configured CA and
 * carry one allowed identity. Decided once per connection (a WeakMap on
 * the socket), so the per-request cost is one lookup.
 * Returns undefined when no allow-list is configured.
 */
export function createPeerCheck(allow: PeerAllowList): ((socket: TLSSocket) => boolean) | undefined {
  if (allow.subjects.length + allow.dns.length + allow.uris.length === 0) return undefined;
  const subjects = new Set(allow.subjects);
  const dns = new Set(allow.dns.map((d) => d.toLowerCase()));
  const uris = new Set(allow.uris);
  const decided = new WeakMap<TLSSocket, boolean>();
  return function peerAllowed(socket) {
    let ok = decided.get(socket);
    if (ok !== undefined) return ok;
    ok = false;
    if (socket.authorized) {
      const id = peerIdentities(socket.getPeerCertificate());
      ok = id.subjects.some((s) => subjects.has(s)) || id.dns.some((d) => dns.has(d)) || id.uris.some((u) => uris.has(u));
    }
    decided.set(socket, ok);
    return ok;
  };
}
