/** RFC 9110 §7.6.1 connection-specific fields, never forwarded in either direction. */
export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
]);

/** the values nearly every message carries, which name no field beyond HOP_BY_HOP */
const PLAIN = new Set(['keep-alive', 'close', 'Keep-Alive', 'Close']);

/** Hop-by-hop names plus any the `Connection` header lists. */
export function connectionScoped(connectionHeader: string | undefined): Set<string> | undefined {
  if (!connectionHeader || PLAIN.has(connectionHeader)) return undefined;
  const names = connectionHeader.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
  return names.length > 0 ? new Set(names) : undefined;
}
