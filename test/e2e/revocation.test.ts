import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  SCRIPTS, adminUrl, edgeConfig, freePort, getToken, metric, microConfig, mintedJwt, revoke, startBackend, startRedis, tempDir, waitForLine, writeYaml,
} from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';

const SECRET = 'test-revocation-secret-0123456789';
const TRANSMITTER = 'https://transmitter.example';
const RECEIVER = 'phantom-edge';
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const TOKEN_REVOKED = 'https://schemas.openid.net/secevent/oauth/event-type/token-revoked';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

describe('revocation push: 2 edges + 2 micros sharing revocations through real Redis', () => {
  const started: Program[] = [];
  let as: Program; let edges: Program[]; let micros: Program[];
  let jwksServer: Server;
  let transmitterKey: PrivateKey; let forgerKey: PrivateKey;
  const dir = tempDir();

  before(async () => {
    // the SET transmitter's keys, published by a small real HTTP server
    const pair = await generateKeyPair('ES256');
    transmitterKey = pair.privateKey;
    forgerKey = (await generateKeyPair('ES256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'transmitter-1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;

    const redis = await startRedis();
    started.push(redis);
    // the AS pushes its revocations to edge 0's admin API (a fixed admin port, known before the edge starts)
    const edgeAdminPort = await freePort();
    as = await spawnProgram({ name: 'dev-as', script: SCRIPTS.devAs, args: ['--port', '0', '--push-revocations', `http://127.0.0.1:${edgeAdminPort}`], env: { DEV_AS_PUSH_SECRET: SECRET } });
    const backend = await startBackend();
    started.push(as, backend);
    // the secret comes from the environment through the config loader's ${ENV} substitution
    const revocation = { adminToken: '${PHANTOM_REVOCATION_SECRET}', redis: { url: redis.url } };
    const env = { PHANTOM_REVOCATION_SECRET: SECRET };
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const [e0, e1, m0, m1] = ports as [number, number, number, number];
    micros = await Promise.all([m0, m1].map((port, i) => spawnProgram({
      name: `micro-${i}`, script: SCRIPTS.micro, env,
      args: ['--config', writeYaml(dir, `micro-${i}.yaml`, microConfig(`http://127.0.0.1:${[e0, e1][i]}`, port, backend.url, { revocation }))],
    })));
    started.push(...micros);
    edges = await Promise.all([e0, e1].map((port, i) => spawnProgram({
      name: `edge-${i}`, script: SCRIPTS.edge, env,
      args: ['--config', writeYaml(dir, `edge-${i}.yaml`, edgeConfig(as.url, port, `http://127.0.0.1:${[m0, m1][i]}`, {
        admin: { port: i === 0 ? edgeAdminPort : 0 },
        // the propagation run introspects 50 new tokens from this one address in a burst (the per-peer guard's default is 20/s)
        introspection: { unknownTokensPerPeer: { limit: 1000, per: 1 } },
        revocation: i === 0 ? { ...revocation, set: { issuer: TRANSMITTER, audience: RECEIVER, jwksUri } } : revocation,
      }))],
    })));
    started.push(...edges);
    await Promise.all([...edges, ...micros].map((p) => waitForLine(p, 'revocation fan-out connected', 5000)));
  });
  after(async () => {
    await Promise.all(started.map((p) => p.stop()));
    jwksServer.close();
  });

  const admin = (program: Program, body: unknown, auth: string | null = `Bearer ${SECRET}`) => send(`${adminUrl(program)}/revocations`, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
  });
  /** a token in use everywhere: its introspection and JWT cached at both edges, its minted JWT (from edge 0) */
  async function tokenInUse(): Promise<{ token: string; jwt: string[] }> {
    // after a sub/client_id revocation, a token issued in the same second is refused: take one from a later second
    const deadline = Date.now() + 4000;
    for (;;) {
      const token = await getToken(as, { scope: 'orders:read' });
      if ((await send(`${edges[0]!.url}/orders/1`, { headers: bearer(token) })).status === 200) {
        // each micro trusts its own edge's keys: the JWT each edge minted for it
        const jwt = await Promise.all(edges.map((e) => mintedJwt(e.url, token)));
        assert.deepEqual(await statuses(token, jwt), [200, 200, 200, 200], 'the token works everywhere before the revocation');
        return { token, jwt };
      }
      if (Date.now() > deadline) assert.fail('no token issued after the last revocation is accepted');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  /** edge 0, edge 1 with the opaque token; micro 0, micro 1 with the JWT minted from it by edge 0, edge 1 */
  const statuses = (token: string, jwt: string[]) => Promise.all([
    ...edges.map((e) => send(`${e.url}/orders/1`, { headers: bearer(token) }).then((r) => r.status)),
    ...micros.map((m, i) => send(`${m.url}/orders/1`, { headers: bearer(jwt[i]!) }).then((r) => r.status)),
  ]);
  /** polls until every instance refuses; the time from `since` (ms) */
  async function refusedEverywhere(token: string, jwt: string[], since: number, timeoutMs = 5000): Promise<number> {
    for (;;) {
      const seen = await statuses(token, jwt);
      if (seen.every((s) => s === 401)) return performance.now() - since;
      if (performance.now() - since > timeoutMs) assert.fail(`not refused everywhere after ${timeoutMs} ms: ${seen.join(' ')}`);
    }
  }

  it('refuses an admin call without the secret (401 JSON) or with a wrong one, and revokes nothing', async () => {
    const { token, jwt } = await tokenInUse();
    const none = await admin(edges[0]!, { token }, null);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="phantom-test"');
    assert.equal(none.json().error, 'unauthorized');
    const wrong = await admin(micros[0]!, { token }, 'Bearer not-the-secret-at-all-0000');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json().error, 'invalid_token');
    const bad = await admin(edges[1]!, { token, sub: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error, 'bad_request');
    assert.deepEqual(await statuses(token, jwt), [200, 200, 200, 200]);
    assert.equal(await metric(edges[0]!, 'phantom_revocations_received_total'), 0);
  });

  it('refuses a chunked admin body over 16 KiB sent on a raw socket (400 bad_request)', async () => {
    const { port } = new URL(adminUrl(edges[0]!));
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (d) => { text += d.toString('latin1'); });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      const chunk = `{"token":"${'a'.repeat(20_000)}"}`;
      socket.write(`POST /revocations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SECRET}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`);
    });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /"error":"bad_request"/);
  });

  it('revoked by token at one edge: 401 at both edges and both micros (the in-flight JWT too), another token unaffected', async () => {
    const { token, jwt } = await tokenInUse();
    const other = await tokenInUse();
    const t0 = performance.now();
    const reply = await admin(edges[0]!, { token });
    assert.equal(reply.status, 202);
    assert.deepEqual(reply.json().kind, 'token_sha256');
    assert.equal(reply.json().value, createHash('sha256').update(token).digest('base64url'));
    assert.ok(!reply.text.includes(token), 'the answer carries the hash, never the token');
    const ms = await refusedEverywhere(token, jwt, t0);
    console.log(`# revoked by token: refused on 2 edges + 2 micros after ${ms.toFixed(1)} ms`);
    const refused = await send(`${micros[1]!.url}/orders/1`, { headers: bearer(jwt[1]!) });
    assert.equal(refused.json().error, 'invalid_token');
    assert.equal(refused.json().error_description, 'the access token was revoked');
    assert.deepEqual(await statuses(other.token, other.jwt), [200, 200, 200, 200]);
    assert.ok(!edges.concat(micros).some((p) => p.lines.some((l) => l.includes(token))), 'no log line holds the token');
  });

  it('refuses a forged, an unsigned and a misaddressed SET (400 per RFC 8935) and revokes nothing', async () => {
    const { token, jwt } = await tokenInUse();
    const events = { [TOKEN_REVOKED]: { subject: { subject_type: 'oauth_token', token_type: 'access_token', token_identifier_alg: 'plain', token } } };
    const claims = { events, jti: 'set-1' };
    const sign = (key: PrivateKey, aud = RECEIVER) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: 'transmitter-1' })
      .setIssuer(TRANSMITTER).setAudience(aud).setIssuedAt().sign(key);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'secevent+jwt' })}.${b64({ ...claims, iss: TRANSMITTER, aud: RECEIVER, iat: Math.floor(Date.now() / 1000) })}.`;
    const post = (set: string) => send(`${adminUrl(edges[0]!)}/set`, { method: 'POST', body: set, headers: { 'content-type': 'application/secevent+jwt' } });
    const forged = await post(await sign(forgerKey));
    assert.equal(forged.status, 400);
    assert.deepEqual(forged.json(), { err: 'invalid_key', description: 'the SET signature does not verify with the transmitter keys' });
    const none = await post(unsigned);
    assert.equal(none.status, 400);
    assert.equal(none.json().err, 'invalid_key', 'alg none is not an acceptable key');
    const misaddressed = await post(await sign(transmitterKey, 'someone-else'));
    assert.equal(misaddressed.status, 400);
    assert.equal(misaddressed.json().err, 'invalid_audience');
    assert.deepEqual(await statuses(token, jwt), [200, 200, 200, 200]);
    assert.equal(await metric(edges[0]!, 'phantom_revocations_received_total', { source: 'set' }), 0);
  });

  it('a signed token-revoked SET: 401 everywhere', async () => {
    const { token, jwt } = await tokenInUse();
    const hash = createHash('sha256').update(token).digest('base64');
    const set = await new SignJWT({ jti: 'set-2', events: { [TOKEN_REVOKED]: { subject: { subject_type: 'oauth_token', token_type: 'access_token', token_identifier_alg: 'hash_base64_sha256', token: hash } } } })
      .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: 'transmitter-1' }).setIssuer(TRANSMITTER).setAudience(RECEIVER).setIssuedAt().sign(transmitterKey);
    const t0 = performance.now();
    const reply = await send(`${adminUrl(edges[0]!)}/set`, { method: 'POST', body: set, headers: { 'content-type': 'application/secevent+jwt' } });
    assert.equal(reply.status, 202);
    console.log(`# revoked by SET: refused on 2 edges + 2 micros after ${(await refusedEverywhere(token, jwt, t0)).toFixed(1)} ms`);
    assert.equal(await metric(edges[0]!, 'phantom_revocations_applied_total', { source: 'set' }), 1);
    assert.equal(await metric(edges[1]!, 'phantom_revocations_applied_total', { source: 'fanout' }) >= 1, true);
  });

  it('the development AS pushes a revocation: its token refused everywhere at once, despite the caches', async () => {
    const { token, jwt } = await tokenInUse();
    const t0 = performance.now();
    await revoke(as, token);
    console.log(`# revoked at the AS (pushed): refused on 2 edges + 2 micros after ${(await refusedEverywhere(token, jwt, t0)).toFixed(1)} ms`);
  });

  it('propagation over 50 revocations at edge 0, measured until edge 1 and micro 1 refuse', async () => {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const token = await getToken(as, { scope: 'orders:read' });
      const jwt = await mintedJwt(edges[1]!.url, token);
      const t0 = performance.now();
      assert.equal((await admin(edges[0]!, { token })).status, 202);
      for (;;) {
        const [edge, micro] = await Promise.all([
          send(`${edges[1]!.url}/orders/1`, { headers: bearer(token) }).then((r) => r.status),
          send(`${micros[1]!.url}/orders/1`, { headers: bearer(jwt) }).then((r) => r.status),
        ]);
        if (edge === 401 && micro === 401) break;
        if (performance.now() - t0 > 5000) assert.fail(`revocation ${i} not applied at edge 1 / micro 1 after 5 s`);
      }
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`# propagation edge 0 → Redis → edge 1 + micro 1, 50 revocations: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
    assert.equal(times.length, 50);
  });

  it('revoked by sub at a micro: every token of that subject issued before is refused everywhere; a later one passes', async () => {
    const { token, jwt } = await tokenInUse();
    const t0 = performance.now();
    assert.equal((await admin(micros[1]!, { sub: 'demo-app' })).status, 202);
    console.log(`# revoked by sub: refused on 2 edges + 2 micros after ${(await refusedEverywhere(token, jwt, t0)).toFixed(1)} ms`);
    // a token issued after the revocation (a later second) passes again, at every instance
    const fresh = await tokenInUse();
    assert.notEqual(fresh.token, token);
  });

  it('revoked by client_id at edge 1: refused everywhere', async () => {
    const { token, jwt } = await tokenInUse();
    const t0 = performance.now();
    assert.equal((await admin(edges[1]!, { client_id: 'demo-app' })).status, 202);
    console.log(`# revoked by client_id: refused on 2 edges + 2 micros after ${(await refusedEverywhere(token, jwt, t0)).toFixed(1)} ms`);
    assert.equal(await metric(micros[0]!, 'phantom_revocations_received_total', { source: 'fanout' }) >= 3, true);
  });

  it('a signed CAEP session-revoked SET (iss_sub subject): the subject\'s earlier tokens refused everywhere', async () => {
    const { token, jwt } = await tokenInUse();
    const set = await new SignJWT({ jti: 'set-3', sub_id: { format: 'iss_sub', iss: as.url, sub: 'demo-app' }, events: { [`${CAEP}session-revoked`]: { event_timestamp: Math.floor(Date.now() / 1000) } } })
      .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: 'transmitter-1' }).setIssuer(TRANSMITTER).setAudience(RECEIVER).setIssuedAt().sign(transmitterKey);
    const t0 = performance.now();
    const reply = await send(`${adminUrl(edges[0]!)}/set`, { method: 'POST', body: set, headers: { 'content-type': 'application/secevent+jwt' } });
    assert.equal(reply.status, 202);
    console.log(`# revoked by CAEP session-revoked: refused on 2 edges + 2 micros after ${(await refusedEverywhere(token, jwt, t0)).toFixed(1)} ms`);
  });
});

describe('revocation fan-out without Redis: the edge tells its configured peers (as in the demo)', () => {
  const started: Program[] = [];
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  it('a token revoked at the AS (pushed to the edge) is refused by the edge and its in-flight JWT by the peer micro gateway', async () => {
    const dir = tempDir();
    const edgeAdminPort = await freePort();
    const as = await spawnProgram({ name: 'dev-as', script: SCRIPTS.devAs, args: ['--port', '0', '--push-revocations', `http://127.0.0.1:${edgeAdminPort}`], env: { DEV_AS_PUSH_SECRET: SECRET } });
    started.push(as);
    const backend = await startBackend();
    started.push(backend);
    const [edgePort, microPort] = [await freePort(), await freePort()];
    const micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(`http://127.0.0.1:${edgePort}`, microPort, backend.url, { revocation: { adminToken: SECRET } }))] });
    started.push(micro);
    const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, micro.url, {
      admin: { port: edgeAdminPort }, revocation: { adminToken: SECRET, peers: [adminUrl(micro)] },
    }))] });
    started.push(edge);
    const token = await getToken(as, { scope: 'orders:read' });
    const jwt = await mintedJwt(edge.url, token);
    const seen = () => Promise.all([send(`${edge.url}/orders/1`, { headers: bearer(token) }), send(`${micro.url}/orders/1`, { headers: bearer(jwt) })]).then((r) => r.map((x) => x.status));
    assert.deepEqual(await seen(), [200, 200]);
    const t0 = performance.now();
    await revoke(as, token);
    for (;;) {
      const now = await seen();
      if (now[0] === 401 && now[1] === 401) break;
      if (performance.now() - t0 > 5000) assert.fail(`not refused after 5 s: ${now.join(' ')}`);
    }
    console.log(`# pushed by the AS, fanned out to a peer: edge and micro refuse after ${(performance.now() - t0).toFixed(1)} ms`);
    assert.equal(await metric(micro, 'phantom_revocations_applied_total', { source: 'fanout' }), 1);
  });
});
