import { Gauge, type Registry } from 'prom-client';
import type { LoadedCertificate } from './load-certificates.js';

/** `phantom_tls_certificate_expiry_timestamp_seconds{source,names}`: the notAfter of every certificate served now, read at scrape time. */
export function registerCertificateExpiry(registry: Registry, certificates: () => readonly LoadedCertificate[]): void {
  new Gauge({
    name: 'phantom_tls_certificate_expiry_timestamp_seconds',
    help: 'Expiry (notAfter, Unix seconds) of each TLS certificate the listener serves',
    labelNames: ['source', 'names'], registers: [registry],
    collect() {
      this.reset();
      for (const c of certificates()) this.set({ source: c.source, names: c.serverNames.join(',') }, Math.floor(c.notAfter.getTime() / 1000));
    },
  });
}
