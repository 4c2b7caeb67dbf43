import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The host facts every benchmark reports or needs: nginx present, a port answering, CPU time, the commit. */

export function hasNginx(): boolean {
  try { execFileSync('nginx', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** resolves once something accepts connections on 127.0.0.1:port */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** user + system CPU milliseconds of processes so far, summed, from /proc (clock ticks of 10 ms); a process gone counts 0 */
export function cpuMsOf(pids: readonly number[]): number {
  let ms = 0;
  for (const pid of pids) { const { user, system } = cpuSplitMsOf(pid); ms += user + system; }
  return ms;
}

/** CPU time of one process so far, in user space and in the kernel (ms, from /proc; 0 once it is gone) */
export function cpuSplitMsOf(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) * 10, system: Number(f[12]) * 10 };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** the commit the figures belong to, `+uncommitted` when the tree differs from it */
export function commitId(): string {
  try {
    const cwd = fileURLToPath(new URL('../../..', import.meta.url));
    const id = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${id}+uncommitted` : id;
  } catch { return 'unknown'; }
}

/** the start of every bench nginx.conf: 2 workers, everything written under `d`, the default access log on; the `http {` block left open */
export function nginxHead(d: string): string {
  return `worker_processes 2;
error_log ${d}/error.log warn;
pid ${d}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log ${d}/access.log;
  client_body_temp_path ${d}/body; proxy_temp_path ${d}/proxy; fastcgi_temp_path ${d}/fcgi; uwsgi_temp_path ${d}/uwsgi; scgi_temp_path ${d}/scgi;`;
}
