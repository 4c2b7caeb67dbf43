import type { Logger } from 'pino';
import { flushLogger } from '../observability/index.js';

/**
 * SIGINT/SIGTERM: log, run the program's drain once, exit 0. A second signal
 * while draining exits at once.
 */
export function handleSignals(logger: Logger, drain: () => Promise<void>, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
  let stopping = false;
  for (const signal of signals) {
    process.on(signal, () => {
      if (stopping) { process.exit(1); }
      stopping = true;
      logger.info({ signal }, 'draining');
      drain().finally(() => {
        logger.info('stopped');
        // every buffered access line is written before the process ends
        void flushLogger(logger).then(() => process.exit(0));
      });
    });
  }
}
