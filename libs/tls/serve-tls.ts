import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TlsListener } from './create-tls-listener.js';
import { describeCertificates } from './describe-certificates.js';
import { registerCertificateExpiry } from './certificate-metric.js';
import { watchCertificates } from './watch-certificates.js';

/**
 * What a program does with its TLS listener once it serves: the expiry
 * metric, a log line per certificate (a warning under 14 days), and
 * re-reading the files on change or SIGHUP. Returns the stop function.
 */
export function serveTls(listener: TlsListener | undefined, logger: Logger, registry: Registry, intervalMs: number): () => void {
  if (!listener) return () => {};
  registerCertificateExpiry(registry, () => listener.certificates);
  const { lines } = describeCertificates(listener.certificates);
  for (const line of lines) (line.startsWith('WARNING') ? logger.warn(line) : logger.info(line));
  return watchCertificates(listener, logger, intervalMs);
}
