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
  errors: number;
  non2xx: number;
}

// wrk's done() hook prints one JSON line: counts, errors and latency percentiles
const REPORT_LUA = `
local headers = {}
init = function(args)
  for i = 1, #args, 2 do headers[args[i]] = args[i + 1] end
end
request = function() return wrk.format(nil, nil, headers) end
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

/** One wrk run: fixed connections and duration, one thread, optional extra headers. */
export function runWrk(url: string, options: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<LoadResult> {
  script ??= (() => { const f = join(tmpdir(), `phantom-wrk-${process.pid}.lua`); writeFileSync(f, REPORT_LUA); return f; })();
  const headerArgs = Object.entries(options.headers ?? {}).flat();
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '5s', '-s', script!, url, '--', ...headerArgs],
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
