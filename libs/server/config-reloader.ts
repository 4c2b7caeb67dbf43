import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ConfigError } from '../config/index.js';

export interface WatchOptions {
  file: string;
  logger: Logger;
  /** how often the file is polled, in ms (default 1000) */
  intervalMs?: number;
  apply(): Promise<void>;
  now?: () => number;
}

/** what a poll compares: modification time and size (cheap), then the content's digest decides */
const stamp = (file: string): string => {
  try { const s = statSync(file); return `${s.mtimeMs}:${s.size}`; } catch { return 'missing'; }
};

const digest = (file: string): string => {
  try { return createHash('sha256').update(readFileSync(file)).digest('hex'); } catch { return 'unreadable'; }
};

/**
 * Re-applies a configuration file when it changes on disk (stat polling, which
 * survives editors that replace the file; the baseline is taken synchronously
 * here, so an edit right after start is not missed) and on SIGHUP. Reloads run one at a
 * time, and one change reloads once however it was signalled: a file watch
 * trigger reloads only content not tried yet; a SIGHUP reloads unless the same
 * content was just tried (within one poll interval: the edit that SIGHUP
 * announces). A refused file is logged in one line naming the problem, and
 * the running configuration keeps serving.
 */
export function watchConfig(options: WatchOptions): () => void {
  const interval = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  let running: Promise<void> = Promise.resolve();
  let tried = digest(options.file);
  let triedAt = Number.NEGATIVE_INFINITY; // no reload tried yet: a SIGHUP right after start still reloads
  const reload = (why: 'SIGHUP' | 'file changed') => {
    running = running.then(async () => {
      const content = digest(options.file);
      if (content === tried && (why === 'file changed' || now() - triedAt < interval)) {
        options.logger.debug({ trigger: why }, 'configuration unchanged since the last reload; nothing to do');
        return;
      }
      tried = content;
      triedAt = now();
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
  let seen = stamp(options.file);
  const poll = setInterval(() => {
    const now = stamp(options.file);
    if (now !== seen) { seen = now; reload('file changed'); }
  }, interval);
  poll.unref();
  return () => { process.off('SIGHUP', onHup); clearInterval(poll); };
}
