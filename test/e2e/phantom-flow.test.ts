import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asStats, getToken, received, revoke, startEdge, startTopology, type Topology } from '../support/topology.js';
import { bearer, decode, send } from '../support/http.js';

describe('phantom-token flow on real processes (AS → edge → micro → backend)', () => {
  let t: Topology;
  // one client sends 200 requests at once below: above the default in-flight cap per client (README, Security)
  before(async () => { t = await startTopology({ edge: { introspection: { cacheMaxTtlSeconds: 1 }, fairness: { maxInFlightPerClient: 256 } } }); });
  after(async () => { await t?.stop(); });

  test('a valid opaque token reaches the backend as an audience-scoped RFC 9068 JWT', async () => {
    const token = await getToken(t.as, { scope: 'orders:read inventory:read' });
    const reply = await send(`${t.edge.url}/orders/42?x=1`, { headers: bearer(token) });
    assert.equal(reply.status, 200);
    const body = reply.json<{ request: string; headers: Record<string, string>; claims: Record<string, unknown> }>();
    assert.equal(body.request, 'GET /orders/42?x=1 HTTP/1.1');
    const jwt = body.headers.authorization!.replace(/^Bearer /, '');
    const { header, claims } = decode(jwt);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const jwks = await (await fetch(`${t.edge.url}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kid), [header.kid]);
    assert.equal(claims.iss, new URL(t.edge.url).origin);
    assert.equal(claims.aud, 'orders');
    assert.equal(claims.sub, 'demo-app');
    assert.equal(claims.client_id, 'demo-app');
    assert.equal(claims.scope, 'orders:read', 'only the scopes the orders audience knows');
    assert.equal((claims.exp as number) - (claims.iat as number), 60);
    // <22 base64url characters of the opaque token's SHA-256>.<uuid> (README "Scaling out")
    assert.match(String(claims.jti), /^[A-Za-z0-9_-]{22}\.[0-9a-f-]{36}$/);
    assert.equal(body.headers['x-auth-sub'], 'demo-app');
    assert.equal(reply.headers['x-request-id'], body.headers['x-request-id']);
  });

  test('no token → 401 with a bare Bearer challenge; the upstream is not called', async () => {
    const before = (await received(t.backend)).length;
    const reply = await send(`${t.edge.url}/orders/1`);
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['www-authenticate'], 'Bearer realm="phantom-test"');
    assert.equal(reply.json().error, 'unauthorized');
    const basic = await send(`${t.edge.url}/orders/1`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.equal(basic.headers['www-authenticate'], 'Bearer realm="phantom-test"');
    assert.equal((await received(t.backend)).length, before);
  });

  test('malformed bearer headers → 400 invalid_request', async () => {
    for (const rawHeaders of [
      [['Authorization', 'Bearer ']], [['Authorization', 'Bearer a b']], [['Authorization', 'Bearer a"b']],
      [['Authorization', 'Bearer abc'], ['Authorization', 'Bearer def']],
    ] as [string, string][][]) {
      const reply = await send(`${t.edge.url}/orders/1`, { rawHeaders });
      assert.equal(reply.status, 400, JSON.stringify(rawHeaders));
      assert.match(String(reply.headers['www-authenticate']), /^Bearer realm="phantom-test", error="invalid_request", error_description="[^"]+"$/);
      assert.equal(reply.json().error, 'invalid_request');
    }
  });

  test('a token in the query string or the body is not a credential (RFC 6750 §2.3 is not offered)', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const query = await send(`${t.edge.url}/orders/1?access_token=${token}`);
    assert.equal(query.status, 401);
    assert.equal(query.headers['www-authenticate'], 'Bearer realm="phantom-test"');
    const body = await send(`${t.edge.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` });
    assert.equal(body.status, 401);
  });

  test('the JWKS is cacheable and holds only public keys', async () => {
    const reply = await send(`${t.edge.url}/.well-known/jwks.json`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['cache-control'], 'public, max-age=300');
    assert.equal(reply.headers['content-type'], 'application/jwk-set+json');
    for (const key of reply.json<{ keys: Record<string, unknown>[] }>().keys) {
      assert.equal(key.d, undefined);
      assert.equal(key.use, 'sig');
      assert.equal(key.alg, 'ES256');
    }
  });

  test('unknown token → 401 invalid_token', async () => {
    const reply = await send(`${t.edge.url}/orders/1`, { headers: bearer('this-token-was-never-issued') });
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['www-authenticate'], 'Bearer realm="phantom-test", error="invalid_token", error_description="the access token is not active"');
  });

  test('a revoked token → 401 invalid_token once its cache entry lapses', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    assert.equal((await send(`${t.edge.url}/orders/1`, { headers: bearer(token) })).status, 200);
    await revoke(t.as, token);
    // cacheMaxTtlSeconds: 1 in this topology: the cached "active" answer lasts at most that long; polled, not slept
    const revoked = Date.now();
    const statuses: number[] = [];
    let reply: Awaited<ReturnType<typeof send>>;
    do {
      await new Promise((r) => setTimeout(r, 50));
      reply = await send(`${t.edge.url}/orders/1`, { headers: bearer(token) });
      statuses.push(reply.status);
    } while (reply.status === 200 && Date.now() - revoked < 10_000);
    assert.equal(reply.status, 401, `statuses after the revocation: ${statuses.join(' ')}`);
    assert.equal(reply.json().error, 'invalid_token');
    assert.deepEqual(statuses.slice(0, -1).filter((s) => s !== 200), [], 'served from the cache until then, nothing else');
  });

  test('a token without the route scope → 403 insufficient_scope at the edge, with scope=', async () => {
    const token = await getToken(t.as, { scope: 'inventory:write' });
    const before = (await received(t.backend)).length;
    const reply = await send(`${t.edge.url}/orders/1`, { headers: bearer(token) });
    assert.equal(reply.status, 403);
    assert.equal(reply.headers['www-authenticate'],
      'Bearer realm="phantom-test", error="insufficient_scope", error_description="the token needs one of the listed scopes", scope="orders:read orders:write"');
    assert.equal((await received(t.backend)).length, before);
  });

  test('a method needing another scope → 403 insufficient_scope at the micro gateway', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const reply = await send(`${t.edge.url}/orders`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{"item":1}' });
    assert.equal(reply.status, 403);
    assert.match(String(reply.headers['www-authenticate']), /error="insufficient_scope".*scope="orders:write"/);
  });

  test('request bodies stream through both hops', async () => {
    const token = await getToken(t.as, { scope: 'orders:write' });
    const body = 'x'.repeat(200_000);
    const reply = await send(`${t.edge.url}/orders`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'text/plain' }, body });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().bodyBytes, 200_000);
  });

  test('the opaque token never reaches the micro gateway or the backend, nor any log', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    await send(`${t.edge.url}/orders/secret-check`, { headers: bearer(token) });
    await send(`${t.edge.url}/orders/1`, { rawHeaders: [['Authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]] });
    const all = JSON.stringify(await received(t.backend));
    assert.ok(all.includes('/orders/secret-check'));
    assert.ok(!all.includes(token), 'backend saw the opaque token');
    assert.ok(!t.logs().includes(token), 'a log line contains the opaque token');
    assert.ok(!t.logs().includes(token.slice(0, 16)), 'a log line contains part of the opaque token');
  });

  test('a cache hit makes no AS call; 200 concurrent first requests make exactly one', async () => {
    // an edge of its own with the default cache lifetime: this topology's 1 s would lapse mid-burst on a loaded machine
    // (straight to the backend: the micro trusts only the topology edge's keys)
    const edge = await startEdge(t.as.url, t.backend.url, { fairness: { maxInFlightPerClient: 256 } });
    try {
      const token = await getToken(t.as, { scope: 'orders:read' });
      const start = (await asStats(t.as)).introspections;
      const replies = await Promise.all(Array.from({ length: 200 }, () => send(`${edge.url}/orders/1`, { headers: bearer(token) })));
      assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
      assert.equal((await asStats(t.as)).introspections - start, 1);
      assert.equal((await send(`${edge.url}/orders/2`, { headers: bearer(token) })).status, 200);
      assert.equal((await asStats(t.as)).introspections - start, 1);
    } finally {
      await edge.stop();
    }
  });

  test('spoofed identity and forwarding headers never reach the backend', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const reply = await send(`${t.edge.url}/orders/1`, {
      headers: { ...bearer(token), 'x-auth-sub': 'admin', 'x-auth-scope': 'orders:admin', 'x-forwarded-for': '6.6.6.6', 'forwarded': 'for=6.6.6.6', 'x-http-method-override': 'DELETE' },
    });
    const headers = reply.json<{ headers: Record<string, string> }>().headers;
    assert.equal(headers['x-http-method-override'], undefined, 'a method override would dodge the per-method scope check');
    assert.equal(headers['x-auth-sub'], 'demo-app');
    assert.equal(headers['x-auth-scope'], 'orders:read');
    assert.equal(headers['x-forwarded-for'], '127.0.0.1, 127.0.0.1');
    assert.equal(headers.forwarded, undefined);
  });

  test('unknown path → 404 JSON; unsafe path → 400; method not allowed → 405 with Allow', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const nf = await send(`${t.edge.url}/nowhere`, { headers: bearer(token) });
    assert.equal(nf.status, 404);
    assert.equal(nf.json().error, 'not_found');
    const dots = await send(`${t.edge.url}/orders/%2e%2e/inventory`, { headers: bearer(token) });
    assert.equal(dots.status, 400);
    const m = await send(`${t.edge.url}/orders/1`, { method: 'PATCH', headers: bearer(token) });
    assert.equal(m.status, 405);
    assert.equal(m.headers.allow, 'GET, POST, PUT, DELETE');
  });

  test('an oversized request head → 431 JSON', async () => {
    const reply = await send(`${t.edge.url}/orders/1`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    assert.equal(reply.status, 431);
    assert.equal(reply.json().error, 'header_too_large');
  });
});
