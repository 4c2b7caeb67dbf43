import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { adminUrl, asStats, freePort, getToken, startBackend, startDevAs, startEdge, tempDir, waitForLine } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import type { Program } from '../../libs/process/index.js';

describe('the edge and a real Authorization Server', () => {
  const started: Program[] = [];
  let backend: Program;
  before(async () => { backend = await startBackend(); started.push(backend); });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  test('AS down → 503 with Retry-After (never 401); AS back → 200 without restarting the edge', async () => {
    const port = await freePort();
    let as = await startDevAs(['--port', String(port)]);
    const edge = await startEdge(as.url, backend.url);
    started.push(edge);
    try {
      assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(as)) })).status, 200);
      const unseen = await getToken(as);
      await as.stop();
      const down = await send(`${edge.url}/orders/1`, { headers: bearer(unseen) });
      assert.equal(down.status, 503);
      assert.equal(down.headers['retry-after'], '2');
      assert.equal(down.headers['www-authenticate'], undefined);
      assert.equal(down.json().error, 'authorization_server_unavailable');
      as = await startDevAs(['--port', String(port)]);
      const again = await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(as)) });
      assert.equal(again.status, 200);
      assert.match(await waitForLine(edge, '"dependency failure"'), /authorization_server_unavailable/);
    } finally { await as.stop(); }
  });

  test('an AS that is down when the edge starts: not ready and 503, then ready and 200 once it is up', async () => {
    const port = await freePort();
    const edge = await startEdge(`http://127.0.0.1:${port}`, backend.url);
    started.push(edge);
    const notReady = await send(`${adminUrl(edge)}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(notReady.json<{ checks: Record<string, boolean> }>().checks.authorizationServerDiscovered, false);
    assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer('some-opaque-token') })).status, 503);
    const as = await startDevAs(['--port', String(port)]);
    started.push(as);
    // the edge keeps trying discovery by itself: it becomes ready without any traffic
    let ready = 0;
    for (let i = 0; i < 40 && ready !== 200; i++) {
      ready = (await send(`${adminUrl(edge)}/readyz`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(ready, 200);
    assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(await getToken(as, { scope: 'orders:read' })) })).status, 200);
  });

  test('a token that expires while cached is refused right after its exp', async () => {
    const as = await startDevAs();
    started.push(as);
    const edge = await startEdge(as.url, backend.url);
    started.push(edge);
    const token = await getToken(as, { client: ['short-lived', 'short-secret'], scope: 'orders:read' });
    const first = await send(`${edge.url}/orders/1`, { headers: bearer(token) });
    assert.equal(first.status, 200);
    // the JWT the edge minted never outlives the token (the dev AS gives this client 3 s tokens): its exp is the token's
    const expMs = first.json<{ claims: { exp: number } }>().claims.exp * 1000;
    const calls = (await asStats(as)).introspections;
    // the same token again and again until the edge refuses it (polling, no guess at the AS's clock)
    const replies: { sent: number; answered: number; status: number }[] = [];
    let late = first;
    while (late.status === 200 && Date.now() < expMs + 5000) {
      await new Promise((r) => setTimeout(r, 50));
      const sent = Date.now();
      late = await send(`${edge.url}/orders/1`, { headers: bearer(token) });
      replies.push({ sent, answered: Date.now(), status: late.status });
    }
    const refusal = replies.at(-1)!;
    assert.equal(late.status, 401, 'refused once expired');
    assert.match(String(late.headers['www-authenticate']), /error="invalid_token"/);
    assert.ok(refusal.answered >= expMs, `refused ${expMs - refusal.answered} ms before its exp`);
    assert.deepEqual(replies.filter((r) => r.status === 200 && r.sent >= expMs), [], 'nothing sent from its exp on is accepted');
    assert.ok(replies.length > 1, 'the token was served from the cache before its exp');
    assert.ok((await asStats(as)).introspections - calls <= 1, 'served from the cache until then: the expiry is checked on every hit');
  });

  test('client_secret_post and private_key_jwt authenticate the edge at introspection', async () => {
    const dir = tempDir();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(dir, 'edge-client.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    const jwks = { keys: [{ ...publicJwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(publicJwk) }] };
    const as = await startDevAs(['--private-key-jwt-client', `edge-pkjwt=${JSON.stringify(jwks)}`]);
    started.push(as);
    const post = await startEdge(as.url, backend.url, { authorizationServer: { clientId: 'edge-gateway-post', clientAuth: 'client_secret_post' } }, dir);
    const pkjwt = await startEdge(as.url, backend.url, { authorizationServer: { clientId: 'edge-pkjwt', clientAuth: 'private_key_jwt', clientSecret: undefined, privateKeyFile: keyFile } }, dir);
    const wrong = await startEdge(as.url, backend.url, { authorizationServer: { clientSecret: 'not-the-secret' } }, dir);
    started.push(post, pkjwt, wrong);
    const token = await getToken(as, { scope: 'orders:read' });
    assert.equal((await send(`${post.url}/orders/1`, { headers: bearer(token) })).status, 200);
    assert.equal((await send(`${pkjwt.url}/orders/1`, { headers: bearer(token) })).status, 200);
    // the AS refusing the edge's own credentials is our problem, not the client's: 503, not 401
    assert.equal((await send(`${wrong.url}/orders/1`, { headers: bearer(token) })).status, 503);
    await waitForLine(wrong, 'introspection_credentials_refused_http_401_invalid_client');
  });

  test('requiredAudience (RFC 8707): only tokens issued for the edge resource pass', async () => {
    const as = await startDevAs();
    started.push(as);
    const edge = await startEdge(as.url, backend.url, { authorizationServer: { requiredAudience: 'urn:phantom:edge' } });
    started.push(edge);
    const forEdge = await getToken(as, { scope: 'orders:read', resource: 'urn:phantom:edge' });
    const forAnyone = await getToken(as, { scope: 'orders:read' });
    assert.equal((await send(`${edge.url}/orders/1`, { headers: bearer(forEdge) })).status, 200);
    const refused = await send(`${edge.url}/orders/1`, { headers: bearer(forAnyone) });
    assert.equal(refused.status, 401);
    assert.equal(refused.json().error_description, 'the access token is not meant for this gateway');
  });
});
