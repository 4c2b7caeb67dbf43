/**
 * `npm run demo:cluster`: Redis, the development AS (pushing its revocations),
 * two edges sharing one introspection cache, two instances of each micro
 * gateway (orders, inventory), their backends — all on 127.0.0.1. Runs a
 * measured walk-through, prints it, and keeps running until Ctrl-C.
 *   --once        run the walk-through and exit (0 when it held)
 *   --free-ports  any free ports instead of the fixed ones (for tests)
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { spawnProgram, type Program } from '../../../libs/process/index.js';
import { createDemoProcesses, freePort } from './demo-processes.js';
import { DEFAULT_PORTS, DOMAINS, edgeConfig, microConfig, type ClusterPorts, type Shared } from './cluster-configs.js';
import { runWalkthrough } from './cluster-walkthrough.js';

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false }, 'free-ports': { type: 'boolean', default: false } } });
/** the log lines worth showing in a cluster of nine processes: state changes and revocations, not every request */
const INTERESTING = /revocation applied|shared introspection cache|fan-out|redis (connected|unreachable)/;

function show(name: string, line: string): void {
  if (!line.startsWith('{')) return;
  try {
    const { level, msg, kind, source } = JSON.parse(line) as Record<string, unknown>;
    if (level !== 'warn' && level !== 'error' && !INTERESTING.test(String(msg))) return;
    const detail = kind ? ` (${String(kind)}, from ${String(source)})` : '';
    process.stdout.write(`[${name.padEnd(17)}] ${level === 'warn' || level === 'error' ? `${String(level).toUpperCase()} ` : ''}${String(msg)}${detail}\n`);
  } catch { /* not a log line */ }
}

async function freePorts(): Promise<ClusterPorts> {
  const pair = async (): Promise<[number, number]> => [await freePort(), await freePort()];
  return {
    as: await freePort(), redis: await freePort(),
    edges: [await pair(), await pair()],
    micros: { orders: [await pair(), await pair()], inventory: [await pair(), await pair()] },
    backends: { orders: await freePort(), inventory: await freePort() },
  };
}

const { start, stopAll, adopt, programs, stopWhenOneExits } = createDemoProcesses(show);

if (spawnSync('redis-server', ['--version']).error) {
  process.stderr.write('demo:cluster needs the redis-server binary on PATH: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run it again.\n');
  process.exit(1);
}

try {
  const ports = values['free-ports'] ? await freePorts() : DEFAULT_PORTS;
  const dir = mkdtempSync(join(tmpdir(), 'phantom-cluster-'));
  // one signing key for both edges (generated for this run): a JWT from either edge verifies at any micro gateway
  const keyFile = join(dir, 'edge-signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const adminToken = process.env.PHANTOM_REVOCATION_SECRET ?? 'demo-cluster-revocation-secret';

  const redis = await spawnProgram({
    name: 'redis', script: '', command: 'redis-server', args: ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ready: (line) => (/Ready to accept connections/.test(line) ? `redis://127.0.0.1:${ports.redis}` : undefined),
  });
  adopt(redis);
  // the AS pushes each revocation to edge 0; Redis pub/sub carries it to every other instance
  const as = await start('dev-as', '../../dev-as/src/main.js', ['--port', String(ports.as), '--push-revocations', `http://127.0.0.1:${ports.edges[0]![1]}`], { DEV_AS_PUSH_SECRET: adminToken });
  const shared: Shared = { asUrl: as.url, redisUrl: redis.url, keyFile, adminToken };
  await Promise.all(DOMAINS.map((d) => start(`backend-${d}`, '../../demo-backend/src/main.js', ['--port', String(ports.backends[d]), '--name', `${d}-backend`])));
  const config = (name: string, doc: unknown) => { const file = join(dir, `${name}.yaml`); writeFileSync(file, stringify(doc)); return file; };
  const edges = await Promise.all([0, 1].map((i) => start(`edge-${i}`, '../../edge/src/main.js', ['--config', config(`edge-${i}`, edgeConfig(ports, i, shared))])));
  const micros = await Promise.all([0, 1].map(async (i) => {
    const [orders, inventory] = await Promise.all(DOMAINS.map((d) => start(`micro-${d}-${i}`, '../../micro/src/main.js', ['--config', config(`micro-${d}-${i}`, microConfig(ports, d, i, shared))])));
    return { orders: orders!.url, inventory: inventory!.url };
  }));
  // the walk-through starts once every instance is subscribed to the revocations and edges reach the shared cache
  const waitFor = async (p: Program, text: string) => {
    for (const deadline = Date.now() + 10_000; !p.lines.some((l) => l.includes(text));) {
      if (Date.now() > deadline) throw new Error(`${p.name} did not log "${text}" within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await Promise.all([
    ...programs.filter((p) => /^(edge|micro)-/.test(p.name)).map((p) => waitFor(p, 'revocation fan-out connected')),
    ...edges.map((e) => waitFor(e, 'shared introspection cache connected')),
  ]);
  stopWhenOneExits();

  process.stdout.write(`
Phantom Gateway cluster demo (configurations in ${dir}):
  Redis                 ${redis.url}    shared introspection cache, revocation fan-out, shared rate limits
  Authorization Server  ${as.url}       (demo-app / demo-secret), pushes its revocations to edge 0
  Edges                 ${edges.map((e) => e.url).join('   ')}
  Micro gateways        orders: ${micros.map((m) => m.orders).join(' ')}   inventory: ${micros.map((m) => m.inventory).join(' ')}

Walk-through, run now and measured:
`);
  const result = await runWalkthrough({ asUrl: as.url, edges: edges.map((e) => e.url), micros });
  const ok = result.introspections === 1 && result.statusesBefore.every((s) => s === 200);
  process.stdout.write(`
  1. one new token, ${result.requests} concurrent requests spread over both edges → ${result.statusesBefore.filter((s) => s === 200).length} × 200,
     ${result.introspections} introspection call(s) at the AS (one edge introspected under the Redis lock; the other waited for its answer)
  2. the token revoked at the AS (RFC 7009) → refused (401) by both edges with the opaque token and by all four micro gateways
     with the JWTs minted from it, ${result.refusedAfterMs.toFixed(0)} ms after the revocation call (the AS answered in ${result.revocationCallMs.toFixed(0)} ms;
     AS push → edge 0 → Redis pub/sub → everyone)

Try it yourself (another terminal):
  TOKEN=$(curl -s -u demo-app:demo-secret -d grant_type=client_credentials -d 'scope=orders:read inventory:read' ${as.url}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s ${as.url}/_dev/stats                                                            # introspections so far
  curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $TOKEN" ${edges[0]!.url}/orders/1
  curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $TOKEN" ${edges[1]!.url}/orders/1
  curl -s ${as.url}/_dev/stats                                                            # one more, not two
  curl -s -u demo-app:demo-secret -d token=$TOKEN ${as.url}/token/revocation             # revoke at the AS
  curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $TOKEN" ${edges[1]!.url}/orders/1   # 401 at the other edge too
  curl -s http://127.0.0.1:${ports.edges[1]![1]}/readyz                                              # "introspectionCache": "shared (…)"

${values.once ? '' : 'Press Ctrl-C to stop every process.\n'}`);
  // the figures are printed, not asserted: on a loaded machine they vary; what must hold is one call and a refusal everywhere
  if (values.once) await stopAll(ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`demo:cluster failed: ${(err as Error).message}\n`);
  await stopAll(1);
}
