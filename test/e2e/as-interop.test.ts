import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAsClient, type BasicEncoding } from '../../libs/introspection/index.js';
import { GatewayError } from '../../libs/errors/index.js';
import { AWKWARD_CLIENT, EDGE_JWT_RESOURCE, INTROSPECTION_SCOPE } from '../../apps/dev-as/src/provider.js';
import { asStats, getToken, mintedJwt, startBackend, startDevAs, startEdge, waitForLine } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import type { Program } from '../../libs/process/index.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Asks the real dev AS, as the edge-gateway client, what it knows of a token. */
async function introspectAtDevAs(as: Program, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${as.url}/token/introspection`, {
    method: 'POST', body: new URLSearchParams({ token }), headers: { authorization: basic('edge-gateway', 'edge-secret') },
  });
  return res.json() as Promise<Record<string, unknown>>;
}

/**
 * A small RFC 7662 endpoint in front of the dev AS: `check` decides whether the
 * caller's Authorization header is acceptable (401 otherwise), then the token
 * is introspected at the dev AS and its answer relayed.
 */
async function relayEndpoint(as: Program, check: (authorization: string | undefined) => Promise<boolean>) {
  const seen: (string | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; }).on('end', () => {
      seen.push(req.headers.authorization);
      void check(req.headers.authorization).then(async (ok) => {
        if (!ok) { res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end(); return; }
        const answer = await introspectAtDevAs(as, new URLSearchParams(body).get('token') ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  return { url, seen, close: () => { server.closeAllConnections(); server.close(); } };
}

describe('interop with Authorization Servers: client authentication and answer formats', () => {
  const started: Program[] = [];
  let backend: Program;
  let as: Program;
  before(async () => {
    [backend, as] = await Promise.all([startBackend(), startDevAs()]);
    started.push(backend, as);
  });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  test('an id with - . _ ~ and a secret with : % + and a space: minimal (the edge\'s default) and form authenticate at oidc-provider', async () => {
    const token = await getToken(as, { scope: 'orders:read' });
    const edge = await startEdge(as.url, backend.url, { authorizationServer: { clientId: AWKWARD_CLIENT.client_id, clientSecret: AWKWARD_CLIENT.client_secret } });
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(token) })).status, 200);
    for (const encoding of ['form', 'minimal'] as const) {
      const client = createAsClient({ issuer: as.url, clientId: AWKWARD_CLIENT.client_id, auth: { method: 'client_secret_basic', clientSecret: AWKWARD_CLIENT.client_secret, encoding }, timeoutMs: 5000, allowHttp: true });
      assert.equal((await client.introspect(token)).active, true, encoding);
    }
  });

  test('raw: a server that compares the Basic credentials without form-decoding accepts raw, and refuses form and minimal with a 503 naming HTTP 401', async () => {
    const expected = basic(AWKWARD_CLIENT.client_id, AWKWARD_CLIENT.client_secret);
    const endpoint = await relayEndpoint(as, async (auth) => auth === expected);
    try {
      const token = await getToken(as, { scope: 'orders:read' });
      const client = (encoding: BasicEncoding) => createAsClient({
        issuer: as.url, clientId: AWKWARD_CLIENT.client_id, endpoints: { introspection: endpoint.url },
        auth: { method: 'client_secret_basic', clientSecret: AWKWARD_CLIENT.client_secret, encoding }, timeoutMs: 5000, allowHttp: true,
      });
      assert.equal((await client('raw').introspect(token)).active, true);
      for (const encoding of ['form', 'minimal'] as const) {
        await assert.rejects(client(encoding).introspect(token), (e: unknown) =>
          e instanceof GatewayError && e.status === 503 && e.reason === 'introspection_credentials_refused_http_401_invalid_token', encoding);
      }
    } finally { endpoint.close(); }
  });

  test('bearer: the edge introspects with its own client-credentials token, checked at the dev AS; revoked, it gets a new one and retries once', async () => {
    // the endpoint accepts only an active dev-AS token carrying the introspection scope
    const endpoint = await relayEndpoint(as, async (auth) => {
      if (!auth?.startsWith('Bearer ')) return false;
      const facts = await introspectAtDevAs(as, auth.slice('Bearer '.length));
      return facts.active === true && String(facts.scope).split(' ').includes(INTROSPECTION_SCOPE);
    });
    try {
      const edge = await startEdge(as.url, backend.url, { authorizationServer: {
        clientId: 'edge-bearer', clientSecret: 'edge-bearer-secret', clientAuth: 'bearer', bearer: { scope: INTROSPECTION_SCOPE },
        introspectionEndpoint: endpoint.url, tokenEndpoint: `${as.url}/token`,
      } });
      started.push(edge);
      assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(as, { scope: 'orders:read' })) })).status, 200);
      assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(as, { scope: 'orders:read' })) })).status, 200);
      const [first, second] = endpoint.seen;
      assert.match(String(first), /^Bearer /);
      assert.equal(second, first, 'the edge reuses its token');
      const revoked = await fetch(`${as.url}/token/revocation`, {
        method: 'POST', body: new URLSearchParams({ token: first!.slice('Bearer '.length) }), headers: { authorization: basic('edge-bearer', 'edge-bearer-secret') },
      });
      assert.equal(revoked.status, 200);
      assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(as, { scope: 'orders:read' })) })).status, 200);
      assert.equal(endpoint.seen.length, 4, 'one 401, one retry');
      assert.equal(endpoint.seen[2], first);
      assert.notEqual(endpoint.seen[3], first);
    } finally { endpoint.close(); }
  });

  test('RFC 9701: with jwtResponse require, the edge accepts oidc-provider\'s signed introspection answers', async () => {
    const jwtAs = await startDevAs(['--jwt-introspection']);
    started.push(jwtAs);
    const edge = await startEdge(jwtAs.url, backend.url, { authorizationServer: { jwtResponse: 'require' } });
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(jwtAs, { scope: 'orders:read' })) })).status, 200);
    const unknown = await send(`${edge.url}/orders/1`, { headers: bearer('not-a-token-the-as-issued') });
    assert.equal(unknown.status, 401);
    // the same AS without signed answers: require refuses to fall back to JSON
    const plain = await startEdge(as.url, backend.url, { authorizationServer: { jwtResponse: 'require' } });
    started.push(plain);
    const refused = await send(`${plain.url}/orders/1`, { headers: bearer(await getToken(as, { scope: 'orders:read' })) });
    assert.equal(refused.status, 503);
    assert.match(await waitForLine(plain, '"dependency failure"'), /introspection_not_jwt/);
  });

  test('jwtAccessTokens: oidc-provider\'s RFC 9068 JWTs are validated locally without introspection and replaced by a minted JWT; with introspect always the AS is asked', async () => {
    const local = await startEdge(as.url, backend.url, { authorizationServer: { requiredAudience: EDGE_JWT_RESOURCE, jwtAccessTokens: { enabled: true } } });
    const always = await startEdge(as.url, backend.url, { authorizationServer: { requiredAudience: EDGE_JWT_RESOURCE, jwtAccessTokens: { enabled: true, introspect: 'always' } } });
    started.push(local, always);
    const token = await getToken(as, { scope: 'orders:read', resource: EDGE_JWT_RESOURCE });
    assert.equal(token.split('.').length, 3, 'the dev AS issued a JWT');
    const before = (await asStats(as)).introspections;
    const minted = await mintedJwt(local.url, token);
    assert.notEqual(minted, token);
    const claims = JSON.parse(Buffer.from(minted.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.aud, 'orders');
    assert.equal(claims.scope, 'orders:read');
    assert.equal((await send(`${local.url}/orders/1`, { headers: bearer(token) })).status, 200);
    const [head, body, sig] = token.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), scope: 'orders:admin' })).toString('base64url')}.${sig}`;
    assert.equal((await send(`${local.url}/orders/1`, { headers: bearer(tampered) })).status, 401);
    assert.equal((await asStats(as)).introspections, before, 'no introspection call');
    // oidc-provider answers active:false when asked about its own JWT access tokens, so "always" refuses them
    assert.equal((await send(`${always.url}/orders/1`, { headers: bearer(token) })).status, 401);
    assert.equal((await asStats(as)).introspections, before + 1);
  });
});
