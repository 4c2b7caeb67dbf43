/**
 * Everything the benchmark measures, as real processes on 127.0.0.1: one
 * backend; two node:http pipe proxies (a one-hop and a two-hop chain); nginx
 * with the same two hops when installed; the dev AS; edge → micro → backend;
 * and an edge and a micro each in front of the backend alone (single hops);
 * the cold floor (servers/cold-floor.ts: the least a new token costs in plain
 * Node) as an edge → micro → backend chain of its own.
 * The gateways run with the shipped logging (access log on, info), writing to
 * a file each; a second edge → micro pair with the access log off measures
 * what the log costs. nginx keeps its default access log on, to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../../libs/process/index.js';
import { spawnLogged } from './spawn-logged.js';
import { hasNginx, nginxHead, waitForPort } from './bench-host.js';
import { edgeConfig, freePort, microConfig, startDevAs, tempDir, writeYaml, SCRIPTS } from '../../support/topology.js';

const server = (name: string) => fileURLToPath(new URL(`../servers/${name}.js`, import.meta.url));

export interface BenchTopology {
  backend: Program; pipe1: Program; pipe2: Program; nginx?: { url: string; hopUrl: string; pid: number; stop(): Promise<void> } | undefined;
  as: Program; edge: Program; micro: Program; edgeHop: Program; edgeMem: Program;
  /** edge → micro with `logging.accessLog: false` (the paired log-cost scenario) */
  edgeNolog: Program; microNolog: Program;
  /** the cold floor: plain node:http edge → micro doing only what a new token needs (introspect, sign, verify) */
  floorEdge: Program; floorMicro: Program;
  /** the gateways' log files (access lines), by program name */
  logs: string;
  dir: string;
  stop(): Promise<void>;
}

async function startNginx(dir: string, backendPort: number) {
  const [p1, p2] = [await freePort(), await freePort()];
  mkdirSync(join(dir, 'nginx'), { recursive: true });
  const d = join(dir, 'nginx');
  writeFileSync(join(d, 'nginx.conf'), `
${nginxHead(d)}
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 128; }
  upstream hop1 { server 127.0.0.1:${p1}; keepalive 128; }
  server { listen 127.0.0.1:${p1}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  server { listen 127.0.0.1:${p2}; location / { proxy_pass http://hop1; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
`);
  const child: ChildProcess = spawn('nginx', ['-p', d, '-c', join(d, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  await waitForPort(p2);
  return {
    url: `http://127.0.0.1:${p2}`, hopUrl: `http://127.0.0.1:${p1}`, pid: child.pid!,
    stop: () => new Promise<void>((resolve) => { if (child.exitCode !== null) { resolve(); return; } child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

/** the shipped logging (access log on, level info); only the admin listener added, for the counters */
const shipped = { admin: { port: 0 } };
const noAccessLog = { admin: { port: 0 }, logging: { accessLog: false } };
// the cold and many-token scenarios send thousands of new tokens from one address: the per-peer guard would refuse most of them
const coldAllowed = { unknownTokensPerPeer: { limit: 1_000_000, per: 1 } };

export async function startBenchTopology(options: { nginx: boolean }): Promise<BenchTopology> {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = (name: string) => join(logs, `${name}.log`);
  const started: Program[] = [];
  const track = async (p: Promise<Program>) => { const program = await p; started.push(program); return program; };
  const gateway = (name: string, script: string, doc: Record<string, unknown>) =>
    track(spawnLogged({ name, script, args: ['--config', writeYaml(dir, `${name}.yaml`, doc)], logFile: logFile(name) }));
  try {
    const backend = await track(spawnProgram({ name: 'backend', script: server('backend') }));
    const pipe1 = await track(spawnProgram({ name: 'pipe1', script: server('pipe-proxy'), args: [backend.url] }));
    const pipe2 = await track(spawnProgram({ name: 'pipe2', script: server('pipe-proxy'), args: [pipe1.url] }));
    const nginx = options.nginx && hasNginx() ? await startNginx(dir, Number(new URL(backend.url).port)) : undefined;
    const as = await track(startDevAs());
    /** edge → micro → backend with this logging */
    const chain = async (suffix: string, logging: Record<string, unknown>) => {
      const [edgePort, microPort] = [await freePort(), await freePort()];
      const edgeUrl = `http://127.0.0.1:${edgePort}`;
      const microUrl = `http://127.0.0.1:${microPort}`;
      const edge = await gateway(`edge${suffix}`, SCRIPTS.edge, edgeConfig(as.url, edgePort, microUrl, { ...logging, introspection: coldAllowed }));
      const microDoc = microConfig(edgeUrl, microPort, backend.url, {
        ...logging,
        routes: [{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 1_000_000_000, per: '1s' } }, concurrency: { max: 4096, queue: 0 } }],
      });
      // the micro as it ships: the JWT forwarded, no claim headers (those are opt-in, for backends that do not verify)
      delete microDoc.claimHeaders;
      const micro = await gateway(`micro${suffix}`, SCRIPTS.micro, microDoc);
      return { edge, micro };
    };
    const { edge, micro } = await chain('', shipped);
    const { edge: edgeNolog, micro: microNolog } = await chain('-nolog', noAccessLog);
    const edgeHop = await gateway('edge-hop', SCRIPTS.edge, edgeConfig(as.url, await freePort(), backend.url, { ...shipped, introspection: coldAllowed }));
    // the memory scenario's edge: explicit cache bounds
    const edgeMemPort = await freePort();
    const edgeMem = await track(spawnProgram({ name: 'edge-mem', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge-mem.yaml', edgeConfig(as.url, edgeMemPort, backend.url, {
      ...noAccessLog,
      introspection: { cacheMaxEntries: 10_000, inactiveCacheMaxEntries: 10_000, ...coldAllowed }, minting: { cacheMaxEntries: 10_000 },
    }))] }));
    const [floorEdgePort, floorMicroPort] = [await freePort(), await freePort()];
    const floorKey = join(dir, 'cold-floor-key.pem');
    const floorEdge = await track(spawnProgram({ name: 'floor-edge', script: server('cold-floor'), args: ['edge', as.url, 'edge-gateway:edge-secret', `http://127.0.0.1:${floorMicroPort}`, String(floorEdgePort), floorKey] }));
    const floorMicro = await track(spawnProgram({ name: 'floor-micro', script: server('cold-floor'), args: ['micro', backend.url, String(floorMicroPort), floorKey] }));
    return {
      backend, pipe1, pipe2, nginx, as, edge, micro, edgeHop, edgeMem, edgeNolog, microNolog, floorEdge, floorMicro, logs, dir,
      async stop() {
        await Promise.all([...started.map((p) => p.stop()), nginx?.stop()]);
        // a full run writes gigabytes of access lines
        rmSync(logs, { recursive: true, force: true });
        rmSync(join(dir, 'nginx', 'access.log'), { force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    throw err;
  }
}

/** Resident memory of a process, now and at its peak (kB → MiB), from /proc. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMiB: 0, peakMiB: 0 };
  }
}
