import { spawn } from 'node:child_process';
import { dist } from './topology.js';

export interface CliResult { status: number | null; stdout: string; stderr: string }

/** Runs `phantom …` (the built CLI) as its own process and resolves with its exit code and output. */
export function runCli(args: readonly string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dist('apps/cli/src/main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
