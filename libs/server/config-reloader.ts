import { watchFile, unwatchFile } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../config/index.js';

/**
 * Re-applies a configuration file when it changes on disk (stat polling, which
 * survives editors that replace the file) and on SIGHUP. Reloads run one at a
 * time; a file that fails validation is refused with one log line naming the
 * problem, and the running configuration keeps serving.
 */
export function watchConfig(options: { file: string; logger: Logger; intervalMs?: number; apply(): Promise<void> }): () => void {
  let running: Promise<void> = Promise.resolve();
  const reload = (why: string) => {
    running = running.then(async () => {
      try {
        await options.apply();
      } catch (err) {
        const message = err instanceof ConfigError ? err.message : `${(err as Error).message}`;
        options.logger.error({ trigger: why, error: message }, 'configuration reload refused; the running configuration stays');
      }
    });
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  watchFile(options.file, { interval: options.intervalMs ?? 1000 }, (curr, prev) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size) reload('file changed');
  });
  return () => { process.off('SIGHUP', onHup); unwatchFile(options.file); };
}
