import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import type { TlsListener } from './create-tls-listener.js';

/**
 * Re-reads a listener's certificates when one of their files changes (stat
 * polling, which survives editors and secret mounts that replace files) and
 * on SIGHUP. A certificate and its key are often written one after the
 * other: a reload that fails (key does not match yet) is logged and the
 * served certificates stay; the next change retries.
 */
export function watchCertificates(listener: TlsListener, logger: Logger, intervalMs = 1000): () => void {
  const reload = (trigger: string) => {
    try {
      const loaded = listener.reload();
      logger.info({ trigger, certificates: loaded.map((c) => ({ source: c.source, names: c.serverNames, not_after: c.notAfter.toISOString() })) }, 'tls certificates reloaded');
    } catch (err) {
      logger.error({ trigger, error: (err as Error).message }, 'tls certificate reload refused; the served certificates stay');
    }
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const files = [...new Set(listener.files)];
  for (const file of files) {
    watchFile(file, { interval: intervalMs }, (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) reload('file changed');
    });
  }
  return () => { process.off('SIGHUP', onHup); for (const file of files) unwatchFile(file); };
}
