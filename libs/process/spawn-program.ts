import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Program {
  name: string;
  child: ChildProcess;
  /** the URL from the program's ready line */
  url: string;
  /** every stdout and stderr line so far */
  readonly lines: string[];
  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code */
  stop(graceMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  /** a Node script, run with this Node; or see `command` */
  script: string;
  /** run this executable with `args` instead of a Node script */
  command?: string;
  /** the URL, when this line says the program is ready (default: the JSON line `{"ready":true,"url":…}`) */
  ready?: (line: string) => string | undefined;
  args?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}

/** SIGTERM, then SIGKILL after graceMs; resolves with the exit code (at once if the child has already exited) */
export function stopper(child: ChildProcess, exited: Promise<number | null>): (graceMs?: number) => Promise<number | null> {
  return async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(force);
    return code;
  };
}

/** the machine-readable start-up line every program of this project prints once it serves */
function readyUrl(line: string): string | undefined {
  if (!line.startsWith('{"ready":true')) return undefined;
  return (JSON.parse(line) as { url?: string }).url;
}

/**
 * Starts a Node program as its own process and waits for its JSON
 * `{"ready":true,"url":…}` line. Rejects (and kills it) if it exits or
 * times out first, with its output in the message.
 */
export function spawnProgram(options: SpawnOptions): Promise<Program> {
  const child = spawn(options.command ?? process.execPath, options.command ? [...(options.args ?? [])] : [options.script, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${options.name} did not start in time:\n${lines.join('\n')}`)); }, options.timeoutMs ?? 30_000);
    let started = false;
    const onLine = (line: string) => {
      lines.push(line);
      options.onLine?.(line);
      if (started) return;
      try {
        const url = (options.ready ?? readyUrl)(line);
        if (url) {
          started = true;
          clearTimeout(timer);
          resolve({
            name: options.name, child, url, lines, exited,
            stop: stopper(child, exited),
          });
        }
      } catch { /* not a JSON line */ }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      if (!started) { clearTimeout(timer); reject(new Error(`${options.name} exited with code ${code} before listening:\n${lines.join('\n')}`)); }
    });
  });
}
