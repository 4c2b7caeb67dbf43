/**
 * deploy/compose/compose.yaml, without a container runtime: parsed, its
 * gateway configurations validated by `phantom edge|micro --check` with the
 * service's environment, and every address in them checked against the
 * services and ports of the file.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { runCli, type CliResult } from '../support/run-cli.js';
import { repoRoot } from '../support/production-install.js';

interface Service {
  image?: string; build?: { target?: string }; command?: string[]; entrypoint?: string[]; environment?: Record<string, string>;
  volumes?: string[]; ports?: string[]; read_only?: boolean; user?: string; cap_drop?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
}
/** a parsed YAML document, read loosely: the schemas are checked by --check */
type Doc = Record<string, any>;

const composeDir = join(repoRoot, 'deploy/compose');
const compose = parse(readFileSync(join(composeDir, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

const gateways = Object.entries(services).filter(([, s]) => s.command?.[0] === 'edge' || s.command?.[0] === 'micro');
/** the host file mounted at the path the service's --config names */
function configOf(s: Service): { file: string; doc: Doc } {
  const target = s.command![s.command!.indexOf('--config') + 1];
  const mount = (s.volumes ?? []).map((v) => v.split(':')).find(([, inContainer]) => inContainer === target);
  assert.ok(mount, `nothing is mounted at ${target}`);
  const file = resolve(composeDir, mount[0]!);
  return { file, doc: parse(readFileSync(file, 'utf8')) as Doc };
}
/** the port a service listens on: its config's server.port, or --port */
function portOf(name: string): number {
  const s = services[name];
  assert.ok(s, `${name} is not a service of compose.yaml`);
  if (s.command?.[0] === 'edge' || s.command?.[0] === 'micro') return configOf(s).doc.server.port as number;
  const i = s.command?.indexOf('--port') ?? -1;
  if (i >= 0) return Number(s.command![i + 1]);
  return name === 'redis' ? 6379 : NaN;
}
function assertReaches(url: string, what: string): string {
  const u = new URL(url);
  assert.equal(Number(u.port || (u.protocol === 'https:' ? 443 : 80)), portOf(u.hostname), `${what} ${url}: wrong port`);
  return u.hostname;
}

describe('compose.yaml', () => {
  // every gateway's --check runs at once (separate processes), each test reads its own result
  const checks = new Map<string, Promise<CliResult>>();
  before(() => {
    for (const [name, s] of gateways) {
      checks.set(name, runCli([s.command![0]!, '--config', configOf(s).file, '--check'], { PATH: process.env.PATH, ...s.environment }));
    }
  });

  test('has Redis, the development AS and PDP, the edge, two micro gateways and their backends', () => {
    assert.deepEqual(Object.keys(services).sort(), ['backend-inventory', 'backend-orders', 'dev-as', 'edge', 'micro-inventory', 'micro-orders', 'pdp', 'redis']);
    assert.equal(services.pdp!.build?.target, 'dev', 'the development PDP runs from the development image');
    assert.deepEqual(gateways.map(([n]) => n).sort(), ['edge', 'micro-inventory', 'micro-orders']);
    assert.equal(services['dev-as']!.build?.target, 'dev', 'the dev AS needs the development dependencies');
    for (const [name, s] of gateways) assert.equal(s.build?.target, 'runtime', name);
  });

  for (const [name, s] of gateways) {
    test(`${name}: the mounted configuration passes phantom ${s.command![0]} --check with the service's environment`, async () => {
      assert.ok(existsSync(configOf(s).file));
      const r = await checks.get(name)!;
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /configuration OK/);
    });
  }

  test('gateways run read-only, non-root, without capabilities, with the admin port the image HEALTHCHECK calls', () => {
    for (const [name, s] of gateways) {
      assert.equal(s.read_only, true, name);
      assert.match(s.user ?? '', /^[1-9]\d*:[1-9]\d*$/, name);
      assert.deepEqual(s.cap_drop, ['ALL'], name);
      const { doc } = configOf(s);
      assert.equal(doc.admin.port, 9901, `${name}: admin.port is the image's PHANTOM_ADMIN_PORT`);
      assert.equal(doc.server.host, '0.0.0.0', `${name}: reachable from the other containers`);
    }
  });

  test('every address in the configurations is a service of the file, on the port it listens on', () => {
    const edge = configOf(services.edge!).doc;
    assert.equal(assertReaches(edge.authorizationServer.issuer, 'AS issuer'), 'dev-as');
    const asCommand = services['dev-as']!.command!;
    assert.equal(asCommand[asCommand.indexOf('--issuer') + 1], edge.authorizationServer.issuer, 'the dev AS announces the issuer the edge discovers');
    assert.equal(assertReaches(edge.issuer, 'edge issuer'), 'edge');
    const edgeAddress = (services.edge!.networks as Record<string, { ipv4_address: string }>).phantom.ipv4_address;
    for (const route of edge.routes as Doc[]) {
      const micro = assertReaches(route.upstream, `route ${route.name}`);
      const cfg = configOf(services[micro]!).doc;
      assert.equal(cfg.audience, route.audience, `route ${route.name} goes to the micro gateway of its audience`);
    }
    assert.equal(assertReaches(services['micro-orders']!.environment!.PHANTOM_PDP_URL!, 'the orders PDP'), 'pdp');
    for (const name of ['micro-orders', 'micro-inventory']) {
      const cfg = configOf(services[name]!).doc;
      assert.equal(assertReaches(cfg.jwks.url, `${name} jwks.url`), 'edge');
      assert.equal(new URL(cfg.jwks.url).pathname, '/.well-known/jwks.json');
      assert.equal(cfg.verification.issuer, edge.issuer);
      assert.match(assertReaches(cfg.backend, `${name} backend`), /^backend-/);
      if (cfg.throttle) assert.equal(assertReaches(cfg.throttle.redis.url, `${name} redis`), 'redis');
      assert.deepEqual(cfg.server.trustedProxies, [edgeAddress], `${name} trusts the edge's pinned address`);
    }
  });

  test('only the AS and the edge are published, on the host loopback, on the ports of the npm start walk-through', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length).map(([n, s]) => [n, s.ports]);
    assert.deepEqual(published.sort(), [['dev-as', ['127.0.0.1:4000:4000']], ['edge', ['127.0.0.1:8080:8080']]]);
  });

  test('routes, audiences, scopes and limits are those of the npm start demo, so its walk-through holds', () => {
    const demo = (file: string) => parse(readFileSync(join(repoRoot, 'deploy/demo', file), 'utf8')) as Doc;
    const strip = (routes: Doc[]) => routes.map(({ upstream: _u, ...rest }) => rest);
    const edge = configOf(services.edge!).doc;
    assert.deepEqual(strip(edge.routes), strip(demo('edge.yaml').routes));
    assert.deepEqual(edge.audiences, demo('edge.yaml').audiences);
    for (const name of ['orders', 'inventory']) {
      const cfg = configOf(services[`micro-${name}`]!).doc;
      assert.deepEqual(cfg.routes, demo(`micro-${name}.yaml`).routes);
      assert.deepEqual(cfg.claimHeaders, demo(`micro-${name}.yaml`).claimHeaders);
    }
  });
});
