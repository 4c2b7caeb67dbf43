/**
 * Real processes for end-to-end tests: the development AS, a recording
 * backend, the edge and a micro gateway, on ephemeral 127.0.0.1 ports, with
 * YAML configs written to a temporary folder. Nothing is mocked.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { spawnProgram, type Program } from '../../libs/process/index.js';

export const dist = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const SCRIPTS = {
  devAs: dist('apps/dev-as/src/main.js'),
  backend: dist('apps/demo-backend/src/main.js'),
  edge: dist('apps/edge/src/main.js'),
  micro: dist('apps/micro/src/main.js'),
  pdp: dist('apps/pdp/src/main.js'),
};

import { freePort } from '../../libs/process/index.js';

export { freePort };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'phantom-test-'));
}

export function writeYaml(dir: string, name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(doc));
  return file;
}

type Doc = Record<string, unknown>;

/** Deep-merges plain objects; arrays and scalars in `patch` replace. */
export function merge<T extends Doc>(base: T, patch: Doc | undefined): T {
  if (!patch) return base;
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? merge(prev as Doc, v as Doc) : v;
  }
  return out as T;
}

export async function startDevAs(args: string[] = []): Promise<Program> {
  return spawnProgram({ name: 'dev-as', script: SCRIPTS.devAs, args: ['--port', '0', ...args] });
}

export async function startBackend(name = 'orders-backend'): Promise<Program> {
  return spawnProgram({ name, script: SCRIPTS.backend, args: ['--port', '0', '--name', name, '--record'] });
}

export interface TokenOptions { scope?: string; client?: [string, string]; resource?: string }

export async function getToken(as: Program, options: TokenOptions = {}): Promise<string> {
  const [id, secret] = options.client ?? ['demo-app', 'demo-secret'];
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: options.scope ?? 'orders:read inventory:read' });
  if (options.resource) body.set('resource', options.resource);
  const res = await fetch(`${as.url}/token`, {
    method: 'POST', body,
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
  });
  const json = await res.json() as { access_token?: string };
  if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
  return json.access_token;
}

export async function revoke(as: Program, token: string): Promise<void> {
  const res = await fetch(`${as.url}/token/revocation`, {
    method: 'POST', body: new URLSearchParams({ token }),
    headers: { authorization: `Basic ${Buffer.from('demo-app:demo-secret').toString('base64')}` },
  });
  if (res.status !== 200) throw new Error(`revocation failed: ${res.status}`);
}

export async function asStats(as: Program): Promise<{ introspections: number; tokens: number }> {
  return (await fetch(`${as.url}/_dev/stats`)).json() as Promise<{ introspections: number; tokens: number }>;
}

export interface Received { method: string; url: string; headers: Record<string, string | string[]> }
export async function received(backend: Program): Promise<Received[]> {
  return (await fetch(`${backend.url}/__received`)).json() as Promise<Received[]>;
}

export function edgeConfig(asUrl: string, edgePort: number, microUrl: string, patch?: Doc): Doc {
  return merge({
    development: true,
    issuer: `http://127.0.0.1:${edgePort}`,
    realm: 'phantom-test',
    server: { port: edgePort },
    admin: { port: 0 },
    authorizationServer: { issuer: asUrl, clientId: 'edge-gateway', clientSecret: 'edge-secret', allowHttp: true },
    keys: { generate: true },
    audiences: { orders: { scopes: ['orders:read', 'orders:write'] }, inventory: { scopes: ['inventory:read', 'inventory:write'] } },
    routes: [
      { name: 'orders', pathPrefix: '/orders', upstream: microUrl, audience: 'orders', scopes: ['orders:read', 'orders:write'], scopeMode: 'any' },
      { name: 'inventory', pathPrefix: '/inventory', upstream: microUrl, audience: 'inventory', scopes: ['inventory:read'] },
    ],
  }, patch);
}

export function microConfig(edgeUrl: string, microPort: number, backendUrl: string, patch?: Doc): Doc {
  return merge({
    audience: 'orders',
    realm: 'phantom-test',
    server: { port: microPort, trustedProxies: ['127.0.0.1'] },
    admin: { port: 0 },
    jwks: { url: `${edgeUrl}/.well-known/jwks.json` },
    verification: { issuer: edgeUrl },
    backend: backendUrl,
    claimHeaders: { sub: 'X-Auth-Sub', scope: 'X-Auth-Scope' },
    routes: [
      { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'] },
      { name: 'orders-write', pathPrefix: '/orders', methods: ['POST', 'PUT', 'DELETE'], scopes: ['orders:write'] },
    ],
  }, patch);
}

export interface Topology {
  as: Program;
  backend: Program;
  edge: Program;
  micro: Program;
  dir: string;
  /** everything the gateways printed so far */
  logs(): string;
  stop(): Promise<void>;
}

/** AS → edge → micro(orders) → recording backend, all real processes. */
export async function startTopology(options: { edge?: Doc; micro?: Doc } = {}): Promise<Topology> {
  const dir = tempDir();
  const [as, backend, edgePort, microPort] = await Promise.all([startDevAs(), startBackend(), freePort(), freePort()]);
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  const microUrl = `http://127.0.0.1:${microPort}`;
  const started: Program[] = [as, backend];
  try {
    const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, options.edge))] });
    started.push(edge);
    const micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url, options.micro))] });
    started.push(micro);
    return {
      as, backend, edge, micro, dir,
      logs: () => [...edge.lines, ...micro.lines].join('\n'),
      async stop() { await Promise.all(started.map((p) => p.stop())); },
    };
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    throw err;
  }
}

/** One edge process in front of `upstreamUrl`, with the test edge config patched. */
export async function startEdge(asUrl: string, upstreamUrl: string, patch?: Doc, dir = tempDir()): Promise<Program> {
  const port = await freePort();
  const file = writeYaml(dir, `edge-${port}.yaml`, edgeConfig(asUrl, port, upstreamUrl, patch));
  return spawnProgram({ name: `edge-${port}`, script: SCRIPTS.edge, args: ['--config', file] });
}

/** Waits (up to timeoutMs) for the `occurrence`-th line of the program's output that contains `text`. */
export async function waitForLine(program: Program, text: string, timeoutMs = 3000, occurrence = 1): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = program.lines.filter((l) => l.includes(text))[occurrence - 1];
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`${program.name} printed no line with "${text}":\n${program.lines.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A real redis-server on a free port, without persistence. */
export async function startRedis(port?: number): Promise<Program> {
  const p = port ?? await freePort();
  return spawnProgram({
    name: `redis-${p}`, script: '', command: 'redis-server',
    args: ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ready: (line) => (/Ready to accept connections/.test(line) ? `redis://127.0.0.1:${p}` : undefined),
  });
}

/** The JWT the edge mints for this token (read back from the echo backend behind it). */
export async function mintedJwt(edgeUrl: string, token: string, path = '/orders/mint'): Promise<string> {
  const res = await fetch(`${edgeUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json() as { headers?: { authorization?: string } };
  if (res.status !== 200 || !body.headers?.authorization) throw new Error(`no JWT: ${res.status} ${JSON.stringify(body)}`);
  return body.headers.authorization.slice('Bearer '.length);
}

/** Waits until the next fixed window (aligned to the epoch) is at least `marginMs` away. */
export async function awayFromWindowEdge(windowMs: number, marginMs = 2000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** The admin URL a gateway printed in its ready line. */
export function adminUrl(program: Program): string {
  for (const line of program.lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { ready?: boolean; admin?: string };
    if (entry.ready === true && entry.admin) return entry.admin;
  }
  throw new Error(`${program.name} has no admin listener`);
}

/** One value from a Prometheus text exposition (the sum over label sets matching `labels`). */
export async function metric(program: Program, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${adminUrl(program)}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{([^}]*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

/** Waits (polling, up to timeoutMs) until `count()` reaches `n`: "traffic has flowed", without sleeping a guess. */
export async function untilCount(count: () => number, n: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < n) {
    if (Date.now() > deadline) throw new Error(`count stayed at ${count()}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
