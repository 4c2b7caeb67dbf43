import type { SecureContext } from 'node:tls';
import type { LoadedCertificate } from './load-certificates.js';

export interface SniSelector {
  /** the context for an SNI name: exact name, then a `*.` wildcard one label deep, else undefined (the default serves) */
  select(serverName: string): SecureContext | undefined;
  readonly defaultCertificate: LoadedCertificate;
}

/**
 * The SNI table of a listener: exact names first, then wildcards
 * (`*.example.com` matches `a.example.com`, not `example.com` nor
 * `a.b.example.com`, RFC 6125 §6.4.3); an unknown name gets the default
 * certificate. Built once per (re)load; a lookup is one or two Map reads.
 */
export function createSniSelector(certificates: readonly LoadedCertificate[]): SniSelector {
  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  for (const cert of certificates) {
    for (const name of cert.serverNames) {
      const table = name.startsWith('*.') ? wildcard : exact;
      const key = name.startsWith('*.') ? name.slice(2) : name;
      if (!table.has(key)) table.set(key, cert.context); // the first certificate listed for a name wins
    }
  }
  const defaultCertificate = certificates.find((c) => c.isDefault) ?? certificates[0]!;
  return {
    defaultCertificate,
    select(serverName) {
      const name = serverName.toLowerCase();
      const hit = exact.get(name);
      if (hit) return hit;
      const dot = name.indexOf('.');
      return dot > 0 ? wildcard.get(name.slice(dot + 1)) : undefined;
    },
  };
}
