import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IntrospectionResponse } from 'oauth4webapi';
import { acceptToken, asUnavailable, createAsClient, createIntrospectionCache } from './index.js';
import { GatewayError } from '../errors/index.js';

const reasonOf = (fn: () => void) => { try { fn(); return 'ok'; } catch (e) { assert.ok(e instanceof GatewayError); return `${e.code}:${e.reason}`; } };

test('acceptance: active, exp, nbf, token type, issuer, audience', () => {
  const rules = { issuer: 'https://as', requiredAudience: 'urn:edge' };
  const ok: IntrospectionResponse = { active: true, exp: 200, nbf: 90, iss: 'https://as', aud: ['x', 'urn:edge'], token_type: 'Bearer' };
  assert.equal(reasonOf(() => acceptToken(ok, rules, 100)), 'ok');
  assert.equal(reasonOf(() => acceptToken({ active: false }, rules, 100)), 'invalid_token:inactive');
  assert.equal(reasonOf(() => acceptToken(ok, rules, 200)), 'invalid_token:expired');
  assert.equal(reasonOf(() => acceptToken(ok, rules, 80)), 'invalid_token:not_yet_valid');
  assert.equal(reasonOf(() => acceptToken({ ...ok, token_type: 'refresh_token' }, rules, 100)), 'invalid_token:token_type');
  assert.equal(reasonOf(() => acceptToken({ ...ok, iss: 'https://evil' }, rules, 100)), 'invalid_token:issuer');
  assert.equal(reasonOf(() => acceptToken({ ...ok, aud: 'other' }, rules, 100)), 'invalid_token:audience');
  assert.equal(reasonOf(() => acceptToken({ active: true }, { issuer: 'https://as' }, 100)), 'ok');
});

function fakeIntrospect(results: Map<string, IntrospectionResponse | Error>) {
  const calls: string[] = [];
  return {
    calls,
    async introspect(token: string) {
      calls.push(token);
      await new Promise((r) => setTimeout(r, 5));
      const r = results.get(token);
      if (r instanceof Error) throw r;
      return r ?? { active: false };
    },
  };
}

test('cache: hits are synchronous; inactive answers cached apart for inactiveTtlSeconds; failures not cached', async () => {
  let clock = 1_000_000;
  const results = new Map<string, IntrospectionResponse | Error>([['good', { active: true, exp: 2000, scope: 'a' }], ['down', asUnavailable('x')]]);
  const as = fakeIntrospect(results);
  const cache = createIntrospectionCache({ ...as, maxEntries: 10, maxTtlSeconds: 300, inactiveMaxEntries: 10, inactiveTtlSeconds: 10, now: () => clock });
  const first = await cache.lookup('good');
  assert.equal(first.outcome, 'miss');
  assert.notEqual(first.hash, 'good');
  const hit = cache.lookup('good');
  assert.ok(!(hit instanceof Promise));
  assert.equal(hit.outcome, 'hit');
  assert.equal((await cache.lookup('junk')).result.active, false);
  assert.equal((cache.lookup('junk') as { outcome: string }).outcome, 'hit');
  clock += 9_999; // an inactive answer lives inactiveTtlSeconds (10 s), then is asked again
  assert.equal((cache.lookup('junk') as { outcome: string }).outcome, 'hit');
  clock += 1;
  assert.equal((await cache.lookup('junk')).outcome, 'miss');
  await assert.rejects(Promise.resolve(cache.lookup('down')), (e: unknown) => e instanceof GatewayError && e.status === 503);
  await assert.rejects(Promise.resolve(cache.lookup('down')));
  assert.deepEqual(as.calls, ['good', 'junk', 'junk', 'down', 'down']);
  clock += 301_000; // past maxTtl: asked again
  await cache.lookup('good');
  assert.equal(as.calls.length, 6);
});

test('cache: an entry lives min(maxTtl, exp − now); concurrent misses share one call', async () => {
  let clock = 1_000_000;
  const as = fakeIntrospect(new Map([['soon', { active: true, exp: 1_005 }]]));
  const cache = createIntrospectionCache({ ...as, maxEntries: 10, maxTtlSeconds: 300, inactiveMaxEntries: 10, inactiveTtlSeconds: 10, now: () => clock });
  const all = await Promise.all(Array.from({ length: 100 }, () => cache.lookup('soon')));
  assert.equal(as.calls.length, 1);
  assert.equal(all.filter((r) => r.outcome === 'shared').length, 99);
  clock += 4_000;
  assert.equal((cache.lookup('soon') as { outcome: string }).outcome, 'hit');
  clock += 1_500;
  await cache.lookup('soon');
  assert.equal(as.calls.length, 2, 'asked again once exp has passed');
});

test('cache: serve-stale answers from an expired entry only while the AS is unavailable', async () => {
  let clock = 1_000_000;
  const results = new Map<string, IntrospectionResponse | Error>([['t', { active: true, exp: 5_000 }]]);
  const as = fakeIntrospect(results);
  const cache = createIntrospectionCache({ ...as, maxEntries: 10, maxTtlSeconds: 60, inactiveMaxEntries: 10, inactiveTtlSeconds: 10, serveStaleSeconds: 120, now: () => clock });
  await cache.lookup('t');
  clock += 61_000;
  results.set('t', asUnavailable('down'));
  assert.equal((await cache.lookup('t')).outcome, 'stale');
  results.set('t', { active: false });
  assert.equal((await cache.lookup('t')).result.active, false, 'a reachable AS always wins');
  // without serve-stale (the default) the same outage is a 503
  const strictResults = new Map<string, IntrospectionResponse | Error>([['t', { active: true, exp: 5_000 }]]);
  const strict = createIntrospectionCache({ ...fakeIntrospect(strictResults), maxEntries: 10, maxTtlSeconds: 60, inactiveMaxEntries: 10, inactiveTtlSeconds: 10, now: () => clock });
  await strict.lookup('t');
  clock += 61_000;
  strictResults.set('t', asUnavailable('down'));
  await assert.rejects(Promise.resolve(strict.lookup('t')), (e: unknown) => e instanceof GatewayError && e.status === 503);
});

async function faultyAs(answer: (req: IncomingMessage, res: ServerResponse, issuer: string) => void) {
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, introspection_endpoint: `${issuer}/introspect` }));
      return;
    }
    answer(req, res, issuer);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, close: () => { server.closeAllConnections(); server.close(); } };
}

test('AS client: 5xx, garbage, a refused client, a timeout and no AS at all are 503 with Retry-After, never 401', async () => {
  const cases: [string, (req: IncomingMessage, res: ServerResponse) => void][] = [
    ['5xx', (_q, s) => s.writeHead(502).end('bad gateway')],
    ['garbage', (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end('{"activ')],
    ['not an introspection response', (_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end('{"active":"yes"}')],
    ['client refused', (_q, s) => s.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}')],
    ['timeout', () => { /* never answers */ }],
  ];
  for (const [name, answer] of cases) {
    const as = await faultyAs(answer);
    const client = createAsClient({ issuer: as.issuer, clientId: 'edge', auth: { method: 'client_secret_basic', clientSecret: 's', encoding: 'minimal' }, timeoutMs: 300, allowHttp: true });
    try {
      await assert.rejects(client.introspect('tok'), (e: unknown) => e instanceof GatewayError && e.status === 503 && e.retryAfter !== undefined, name);
    } finally { as.close(); }
  }
  const nowhere = createAsClient({ issuer: 'http://127.0.0.1:1', clientId: 'edge', auth: { method: 'client_secret_basic', clientSecret: 's', encoding: 'minimal' }, timeoutMs: 300, allowHttp: true });
  await assert.rejects(nowhere.introspect('tok'), (e: unknown) => e instanceof GatewayError && e.code === 'authorization_server_unavailable');
});

test('AS client: discovery falls back from RFC 8414 to OpenID discovery, and sends the token with the right client authentication', async () => {
  const seen: { auth?: string; body: string }[] = [];
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, introspection_endpoint: `${issuer}/introspect` }));
      return;
    }
    if (req.url !== '/introspect') { res.writeHead(404).end(); return; }
    let body = '';
    req.on('data', (c) => { body += c; }).on('end', () => {
      seen.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":true,"scope":"a"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const basic = createAsClient({ issuer, clientId: 'edge', auth: { method: 'client_secret_basic', clientSecret: 's', encoding: 'minimal' }, timeoutMs: 1000, allowHttp: true });
    assert.equal((await basic.introspect('tok-1')).active, true);
    const post = createAsClient({ issuer, clientId: 'edge', auth: { method: 'client_secret_post', clientSecret: 's' }, timeoutMs: 1000, allowHttp: true });
    await post.introspect('tok-2');
    assert.equal(seen[0]!.auth, `Basic ${Buffer.from('edge:s').toString('base64')}`);
    assert.match(seen[0]!.body, /token=tok-1/);
    assert.match(seen[0]!.body, /token_type_hint=access_token/);
    assert.equal(seen[1]!.auth, undefined);
    assert.match(seen[1]!.body, /client_id=edge/);
    assert.match(seen[1]!.body, /client_secret=s/);
  } finally { server.close(); }
});
