import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../../libs/process/index.js';

/** a script of this folder's siblings (`../../edge/src/main.js`), resolved from the built demo */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** `[edge] request GET /orders/1 200` out of a pino JSON line; other lines as they are. */
export function showLine(name: string, line: string): void {
  let text = line;
  if (line.startsWith('{')) {
    try {
      const { level, time: _t, name: _n, msg, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(rest).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      text = `${level === 'warn' || level === 'error' ? `${String(level).toUpperCase()} ` : ''}${String(msg)} ${fields.join(' ')}`;
    } catch { /* keep the raw line */ }
  }
  process.stdout.write(`[${name.padEnd(15)}] ${text}\n`);
}

/** A free TCP port on 127.0.0.1 (for `--any-ports` / `--free-ports`), outside the ephemeral range. */
export { freePort } from '../../../libs/process/index.js';

/**
 * The processes of one demo: started with their log lines shown (until the
 * demo stops), stopped together in reverse order on Ctrl-C, SIGTERM, or when
 * one of them exits — never a half-running topology.
 */
export function createDemoProcesses(show: (name: string, line: string) => void = showLine) {
  const programs: Program[] = [];
  let stopping = false;
  async function stopAll(code: number): Promise<never> {
    stopping = true;
    await Promise.all(programs.reverse().map((p) => p.stop()));
    process.exit(code);
  }
  process.on('SIGINT', () => { process.stdout.write('\nstopping every process…\n'); void stopAll(0); });
  process.on('SIGTERM', () => void stopAll(0));
  return {
    programs,
    stopAll,
    /** a program of this repository, by its path relative to apps/demo/src */
    async start(name: string, script: string, args: string[], env?: Record<string, string>): Promise<Program> {
      const program = await spawnProgram({ name, script: here(script), args, onLine: (line) => { if (!stopping) show(name, line); }, ...(env ? { env } : {}) });
      programs.push(program);
      return program;
    },
    /** a process started elsewhere (redis-server), stopped with the others */
    adopt(program: Program): Program {
      programs.push(program);
      return program;
    },
    /** from now on, a child that dies takes the demo down with it */
    stopWhenOneExits(): void {
      for (const p of programs) void p.exited.then((code) => { if (!stopping) { process.stdout.write(`${p.name} exited (${code}); stopping the demo\n`); void stopAll(1); } });
    },
  };
}
