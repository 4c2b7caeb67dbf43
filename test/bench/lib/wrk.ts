import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  /** socket errors and timeouts */
  errors: number;
  /** responses with a status other than 2xx/3xx */
  non2xx: number;
}

// Extra headers come as name/value pairs; "@tokens <file>" sends one bearer token per request,
// round robin over the file's lines. done() prints one JSON line: counts, errors, latency percentiles.
const REPORT_LUA = `
local headers = {}
local tokens = nil
local n = 0
local i = 0
init = function(args)
  local a = 1
  while a <= #args do
    if args[a] == "@tokens" then
      tokens = {}
      for line in io.lines(args[a + 1]) do n = n + 1; tokens[n] = line end
    else
      headers[args[a]] = args[a + 1]
    end
    a = a + 2
  end
end
request = function()
  if tokens then
    i = i % n + 1
    headers["Authorization"] = "Bearer " .. tokens[i]
  end
  return wrk.format(nil, nil, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"micros":%d,"p50":%f,"p99":%f,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

export function hasWrk(): boolean {
  try { execFileSync('wrk', ['--version'], { stdio: 'ignore' }); return true; } catch (err) {
    // wrk --version exits 1 but runs
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

let script: string | undefined;

export interface WrkOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** a file with one bearer token per line, used round robin */
  tokenFile?: string;
}

/** One wrk run: fixed connections and duration, one thread. */
export function runWrk(url: string, options: WrkOptions): Promise<LoadResult> {
  script ??= (() => { const f = join(tmpdir(), `phantom-wrk-${process.pid}.lua`); writeFileSync(f, REPORT_LUA); return f; })();
  const args = [...Object.entries(options.headers ?? {}).flat(), ...(options.tokenFile ? ['@tokens', options.tokenFile] : [])];
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '5s', '-s', script!, url, '--', ...args],
      { maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) { reject(err); return; }
        const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
        if (!line) { reject(new Error(`no wrk report in: ${stdout}`)); return; }
        const r = JSON.parse(line) as { requests: number; micros: number; p50: number; p99: number; errors: number; non2xx: number };
        const seconds = r.micros / 1e6;
        resolve({ requests: r.requests, seconds, rps: r.requests / seconds, p50ms: r.p50 / 1000, p99ms: r.p99 / 1000, errors: r.errors, non2xx: r.non2xx });
      });
  });
}
