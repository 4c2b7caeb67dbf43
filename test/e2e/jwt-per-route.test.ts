import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EDGE_JWT_RESOURCE } from '../../apps/dev-as/src/provider.js';
import { asStats, getToken, received, revoke, startBackend, startDevAs, startEdge, waitForLine } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import type { Program } from '../../libs/process/index.js';

/**
 * jwtAccessTokens.introspect per-route, on real processes: the dev AS issues
 * RFC 9068 JWT access tokens and (--introspect-jwt-access-tokens) introspects
 * and revokes them; one edge validates them locally everywhere and also
 * introspects them on its revocation-sensitive route only.
 */
describe('JWT access tokens introspected per route: revocation seen where asked for, local validation elsewhere', () => {
  let as: Program, backend: Program, edge: Program;
  const started: Program[] = [];
  const track = async (starting: Promise<Program>) => { const p = await starting; started.push(p); return p; };
  before(async () => {
    [as, backend] = await Promise.all([track(startDevAs(['--introspect-jwt-access-tokens'])), track(startBackend())]);
    edge = await track(startEdge(as.url, backend.url, {
      authorizationServer: { requiredAudience: EDGE_JWT_RESOURCE, jwtAccessTokens: { enabled: true, introspect: 'per-route' } },
      routes: [
        { name: 'payments', pathPrefix: '/payments', upstream: backend.url, audience: 'orders', scopes: ['orders:read'], introspectJwtAccessTokens: true },
        { name: 'catalog', pathPrefix: '/catalog', upstream: backend.url, audience: 'orders', scopes: ['orders:read'] },
      ],
    }));
  });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  test('a valid JWT: the local route never asks the AS; the sensitive route introspects once, then serves from the cache', async () => {
    const token = await getToken(as, { scope: 'orders:read', resource: EDGE_JWT_RESOURCE });
    assert.equal(token.split('.').length, 3, 'the dev AS issued a JWT access token');
    const start = (await asStats(as)).introspections;
    for (const path of ['/catalog/1', '/catalog/2']) assert.equal((await send(`${edge.url}${path}`, { headers: bearer(token) })).status, 200, path);
    assert.equal((await asStats(as)).introspections, start, 'locally validated: no AS call');
    for (const path of ['/payments/1', '/payments/2', '/payments/3']) assert.equal((await send(`${edge.url}${path}`, { headers: bearer(token) })).status, 200, path);
    assert.equal((await asStats(as)).introspections, start + 1, 'one introspection, then the introspection cache');
    const minted = (await received(backend)).at(-1)!.headers.authorization as string;
    assert.notEqual(minted, `Bearer ${token}`, 'the AS JWT is replaced by a minted one on the sensitive route too');
  });

  test('a revoked JWT: refused (401 invalid_token) on the sensitive route; still accepted on the local route until its exp (the documented exposure)', async () => {
    const token = await getToken(as, { scope: 'orders:read', resource: EDGE_JWT_RESOURCE });
    assert.equal((await send(`${edge.url}/catalog/1`, { headers: bearer(token) })).status, 200);
    await revoke(as, token);
    const start = (await asStats(as)).introspections;
    const refused = await send(`${edge.url}/payments/1`, { headers: bearer(token) });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="phantom-test", error="invalid_token", error_description="the access token is not active"');
    assert.equal((await asStats(as)).introspections, start + 1);
    assert.match(await waitForLine(edge, '"path":"/payments/1","route":"payments","status":401'), /"code":"invalid_token"/);
    const accepted = await send(`${edge.url}/catalog/2`, { headers: bearer(token) });
    assert.equal(accepted.status, 200, 'not introspected on this route: the revocation is not seen');
    assert.equal((await asStats(as)).introspections, start + 1);
  });

  test('a forged JWT (the AS\'s issuer, another signature) is refused by the local checks on both routes and never reaches the AS', async () => {
    const token = await getToken(as, { scope: 'orders:read', resource: EDGE_JWT_RESOURCE });
    const [head, body, sig] = token.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), scope: 'orders:read orders:admin' })).toString('base64url')}.${sig}`;
    const start = (await asStats(as)).introspections;
    for (const path of ['/payments/9', '/catalog/9']) assert.equal((await send(`${edge.url}${path}`, { headers: bearer(forged) })).status, 401, path);
    assert.equal((await asStats(as)).introspections, start);
  });
});
