import { ConfigError } from '../config/index.js';

/**
 * Runs a program's start-up. A user mistake (ConfigError) prints one sentence
 * and exits 2, never a stack trace; anything else is a bug and shows its stack.
 */
export function runMain(program: string, start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${program}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${program}: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
