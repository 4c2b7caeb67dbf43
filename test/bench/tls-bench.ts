/**
 * TLS hop benchmark: the edge on HTTPS (one hop, straight to the backend,
 * shipped defaults plus `accessLog` as given) against a node:https pipe
 * proxy, same certificate, keep-alive, wrk -c50, alternating rounds.
 *   node dist/test/bench/tls-bench.js [seconds=8] [rounds=3] [accessLog=true]
 */
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { edgeConfig, freePort, getToken, startDevAs, tempDir, writeYaml, SCRIPTS } from '../support/topology.js';
import { createTestCa } from '../support/certs.js';
import { runWrk, type LoadResult } from './lib/wrk.js';

const server = (name: string) => fileURLToPath(new URL(`./servers/${name}.js`, import.meta.url));
const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 3);
const accessLog = (process.argv[4] ?? 'true') === 'true';

const started: Program[] = [];
try {
  const dir = tempDir();
  const ca = createTestCa(dir);
  const cert = ca.issue('bench.example.test', { ips: ['127.0.0.1'] });
  const backend = await spawnProgram({ name: 'backend', script: server('backend') });
  started.push(backend);
  const pipe = await spawnProgram({ name: 'https-pipe', script: server('pipe-proxy'), args: [backend.url, '0', cert.cert, cert.key] });
  started.push(pipe);
  const as = await startDevAs();
  started.push(as);
  const port = await freePort();
  const edge = await spawnProgram({
    name: 'edge', script: SCRIPTS.edge,
    args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, port, backend.url, {
      issuer: `https://127.0.0.1:${port}`, admin: { port: 0 },
      logging: { accessLog, level: 'info' },
      server: { tls: { certificates: [{ certFile: cert.cert, keyFile: cert.key }] } },
    }))],
  });
  started.push(edge);
  const token = await getToken(as, { scope: 'orders:read' });
  const headers = { Authorization: `Bearer ${token}` };
  await runWrk(`${edge.url}/orders/1`, { connections: 50, seconds: 2, headers }); // warm caches and JIT
  await runWrk(`${pipe.url}/orders/1`, { connections: 50, seconds: 2, headers });
  const show = (r: LoadResult) => `${Math.round(r.rps)} req/s p50 ${r.p50ms.toFixed(2)} ms p99 ${r.p99ms.toFixed(2)} ms errors ${r.errors} non2xx ${r.non2xx}`;
  for (let i = 1; i <= rounds; i++) {
    const e = await runWrk(`${edge.url}/orders/1`, { connections: 50, seconds, headers });
    const p = await runWrk(`${pipe.url}/orders/1`, { connections: 50, seconds, headers });
    process.stdout.write(`round ${i}: edge https ${show(e)} | node https pipe ${show(p)} | ratio ${(e.rps / p.rps).toFixed(2)} (target >= 0.85)\n`);
  }
} finally {
  await Promise.all(started.map((p) => p.stop()));
}
