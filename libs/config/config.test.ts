import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, edgeConfigSchema, loadConfig, microConfigSchema, parseConfig, durationMs } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'phantom-config-'));
const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };

const EDGE = `
issuer: https://edge.example
authorizationServer:
  issuer: https://as.example
  clientId: edge
  clientSecret: \${EDGE_SECRET}
keys:
  signing: [{ file: /keys/a.pem }]
audiences:
  orders: { scopes: [orders:read] }
routes:
  - { name: orders, pathPrefix: /orders, upstream: "http://micro:8081", audience: orders, scopes: [orders:read] }
`;

function refusal(fn: () => unknown): ConfigError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => { caught = err; return err instanceof ConfigError && err.code === 'ERR_CONFIG'; });
  return caught as ConfigError;
}
const problems = (fn: () => unknown): readonly string[] => refusal(fn).problems;

test('a valid file gives typed, defaulted, frozen config with env substitution', () => {
  const config = loadConfig(write('ok.yaml', EDGE), edgeConfigSchema, { EDGE_SECRET: 's3cret' });
  assert.equal(config.authorizationServer.clientSecret, 's3cret');
  assert.equal(config.authorizationServer.clientAuth, 'client_secret_basic');
  assert.equal(config.authorizationServer.timeoutMs, 2000);
  assert.equal(config.minting.ttlSeconds, 60);
  assert.equal(config.routes[0]!.scopeMode, 'all');
  assert.ok(Object.isFrozen(config.routes[0]));
  assert.throws(() => { (config as { issuer: string }).issuer = 'x'; });
});

test('messages name the file and the field path', () => {
  const file = write('bad.yaml', EDGE.replace('pathPrefix: /orders', 'pathPrefix: orders').replace('clientId: edge', 'clientId: edge\n  colour: blue'));
  const err = refusal(() => loadConfig(file, edgeConfigSchema, { EDGE_SECRET: 'x' }));
  assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 2 problems`));
  assert.ok(err.problems.includes('authorizationServer: unknown key "colour"'), err.problems.join('|'));
  assert.ok(err.problems.includes('routes[0].pathPrefix: expected a path starting with "/"'), err.problems.join('|'));
});

test('each kind of mistake has its message', () => {
  const f = (text: string, env: Record<string, string> = { EDGE_SECRET: 'x' }) => problems(() => loadConfig(write('m.yaml', text), edgeConfigSchema, env));
  assert.deepEqual(f(EDGE, {}), ['authorizationServer.clientSecret: environment variable EDGE_SECRET is not set']);
  assert.deepEqual(f(EDGE.replace('issuer: https://edge.example', 'issuer: 42')), ['issuer: expected string, received number']);
  assert.deepEqual(f(EDGE.replace('audience: orders, scopes', 'audience: billing, scopes')), ['routes[0].audience: audience "billing" is not declared under audiences']);
  assert.deepEqual(f(EDGE.replace('signing: [{ file: /keys/a.pem }]', 'generate: true')), ['keys.generate: a generated signing key is allowed only with development: true']);
  assert.deepEqual(f(EDGE.replace('issuer: https://as.example', 'issuer: ftp://as.example')), ['authorizationServer.issuer: expected an http(s) URL']);
  const yamlError = f('routes: [\n');
  assert.equal(yamlError.length, 1);
  assert.match(yamlError[0]!, /^YAML syntax error at line \d+/);
  assert.deepEqual(problems(() => loadConfig(join(dir, 'nope.yaml'), edgeConfigSchema)), ['file not found']);
  assert.deepEqual(f(EDGE.replace('clientSecret: ${EDGE_SECRET}', 'clientAuth: client_secret_post')), ['authorizationServer.clientSecret: required for clientAuth client_secret_post']);
});

test('micro config: defaults and required fields', () => {
  const ok = parseConfig('m.yaml', { audience: 'orders', jwks: { url: 'http://edge/.well-known/jwks.json' }, verification: { issuer: 'http://edge' },
    backend: 'http://b:1', routes: [{ name: 'r', pathPrefix: '/' }] }, microConfigSchema);
  assert.deepEqual(ok.verification.algorithms, ['ES256', 'EdDSA', 'RS256', 'PS256']);
  assert.equal(ok.jwks.unknownKidCooldownSeconds, 10);
  assert.deepEqual(problems(() => parseConfig('m.yaml', { audience: 'orders' }, microConfigSchema)).slice().sort(),
    ['backend: required (string)', 'jwks: required (object)', 'routes: required (array)', 'verification: required (object)']);
});

test('durations: numbers are seconds, strings carry a unit', () => {
  assert.equal(durationMs.parse(2), 2000);
  assert.equal(durationMs.parse('500ms'), 500);
  assert.equal(durationMs.parse('1m'), 60_000);
  assert.throws(() => durationMs.parse('soon'));
});

test('the committed JSON Schemas are what the config schemas produce (run `npm run schema` after a change)', async () => {
  const { readFileSync } = await import('node:fs');
  const { jsonSchemas } = await import('./index.js');
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    const committed = JSON.parse(readFileSync(new URL(`../../../deploy/schema/${name}.schema.json`, import.meta.url), 'utf8')) as object;
    assert.deepEqual(committed, JSON.parse(JSON.stringify(schema)), `deploy/schema/${name}.schema.json is stale`);
  }
});

test('schema = code: what the programs cannot run is refused by the schema, in one line per problem', () => {
  const f = (text: string) => problems(() => loadConfig(write('s.yaml', text), edgeConfigSchema, { EDGE_SECRET: 'x' }));
  assert.deepEqual(f(EDGE.replace('upstream: "http://micro:8081"', 'upstream: "ftp://micro:8443"')), ['routes[0].upstream: expected an http(s) URL']);
  const twice = EDGE + '  - { name: orders, pathPrefix: /orders2, upstream: "http://micro:8081", audience: orders }\n';
  assert.deepEqual(f(twice), ['routes[1].name: route name "orders" is used twice']);
  const micro = { audience: 'orders', jwks: { url: 'http://edge/.well-known/jwks.json' }, verification: { issuer: 'http://edge' }, backend: 'http://b:1', routes: [{ name: 'r', pathPrefix: '/' }] };
  // https backends start (libs/proxy speaks TLS): the schema accepts them
  assert.equal(parseConfig('m.yaml', { ...micro, backend: 'https://b:1' }, microConfigSchema).backend, 'https://b:1');
  assert.deepEqual(problems(() => parseConfig('m.yaml', { ...micro, routes: [{ name: 'r', pathPrefix: '/' }, { name: 'r', pathPrefix: '/x' }] }, microConfigSchema)),
    ['routes[1].name: route name "r" is used twice']);
  assert.deepEqual(problems(() => parseConfig('m.yaml', { ...micro, development: true }, microConfigSchema)), ['(top level): unknown key "development"']);
});

test('values a user sets have defaults in the schema (clock skew, recipient JWKS, published key max-age)', () => {
  const edge = loadConfig(write('d.yaml', EDGE.replace('orders: { scopes: [orders:read] }', 'orders: { scopes: [orders:read], encryption: { jwksUrl: "http://micro/.well-known/jwks.json" } }')), edgeConfigSchema, { EDGE_SECRET: 'x' });
  assert.equal(edge.introspection.clockSkewSeconds, 0);
  assert.equal(edge.audiences.orders!.encryption!.jwksTimeoutMs, 2000);
  assert.equal(edge.audiences.orders!.encryption!.jwksMaxAgeSeconds, 300);
  const micro = parseConfig('m.yaml', { audience: 'orders', jwks: { url: 'http://edge/.well-known/jwks.json' }, verification: { issuer: 'http://edge' }, backend: 'http://b:1',
    routes: [{ name: 'r', pathPrefix: '/' }], encryption: { keyFile: '/k.pem' }, throttle: { redis: { url: 'redis://r:6379' } } }, microConfigSchema);
  assert.equal(micro.encryption!.jwksMaxAgeSeconds, 300);
});

test('the README configuration tables are what the schemas describe (run `npm run schema` after a change)', async () => {
  const { readFileSync } = await import('node:fs');
  const { configTable, jsonSchemas, withConfigTable } = await import('./index.js');
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    assert.equal(withConfigTable(readme, name, configTable(schema)), readme, `README.md's ${name} table is stale`);
  }
});

test('the configuration tables: one row per setting with its type, default and description', async () => {
  const { configTable, jsonSchemas } = await import('./index.js');
  const edge = configTable(jsonSchemas().edge);
  assert.match(edge, /^\| `authorizationServer\.timeoutMs` \| integer \| `2000` \| introspection timeout; past it the client gets 503 \|$/m);
  assert.match(edge, /^\| `routes\[\]\.name` \| string \| required \| route name, used in limits, metrics and logs \(unique\) \|$/m);
  assert.match(edge, /^\| `introspection\.serveStaleSeconds` \| integer \| `0` \| /m);
  assert.match(edge, /^\| `keys\.jwksMaxAgeSeconds` \| /m);
  assert.match(configTable(jsonSchemas().micro), /^\| `encryption\.publish` \| boolean \| `true` \| /m);
});
