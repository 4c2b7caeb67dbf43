/**
 * A gateway as it ships, for the benchmark: its log (access log on by
 * default) goes to a file, as in production, not into the harness's pipe —
 * a harness reading every line would compete for the CPU it measures. Ready
 * when the `{"ready":true,…}` line is in the file (it names the admin URL).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { stopper, type Program } from '../../../libs/process/index.js';

export async function spawnLogged(options: { name: string; script: string; args: readonly string[]; logFile: string; timeoutMs?: number; env?: Readonly<Record<string, string>> }): Promise<Program> {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [options.script, ...options.args], { stdio: ['ignore', fd, 'pipe'], ...(options.env ? { env: { ...process.env, ...options.env } } : {}) });
  closeSync(fd);
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => { gone = true; });
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    let listening: { url: string } | undefined;
    // the file's head only: the ready line comes before any request
    const head = readFileSync(options.logFile, 'utf8').slice(0, 64 * 1024);
    for (const line of head.split('\n')) {
      if (line.startsWith('{"ready":true')) { listening = JSON.parse(line) as { url: string }; lines.unshift(line); break; }
    }
    if (listening) {
      return {
        name: options.name, child, url: listening.url, lines, exited,
        stop: stopper(child, exited),
      };
    }
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start:\n${head}\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
