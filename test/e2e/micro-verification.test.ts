import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { toLowS } from '../../libs/verification/index.js';
import {
  SCRIPTS, edgeConfig, freePort, getToken, metric, microConfig, mintedJwt, received, startBackend, startDevAs, tempDir, writeYaml,
} from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';

/**
 * The micro gateway as a process, against tokens signed with the edge's real
 * key (the test holds the key file the edge loads), so every refusal below is
 * for the reason named, not for a bad signature.
 */
describe('micro gateway verification on real processes', () => {
  const started: Program[] = [];
  let edge: Program; let micro: Program; let backend: Program; let as: Program;
  let edgeUrl = '';
  const dir = tempDir();
  const keyFile = join(dir, 'edge-signing.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const edgeKey = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));

  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    started.push(as, backend);
    const [edgePort, microPort] = [await freePort(), await freePort()];
    edgeUrl = `http://127.0.0.1:${edgePort}`;
    edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, `http://127.0.0.1:${microPort}`, {
      development: false, keys: { generate: false, signing: [{ file: keyFile, kid: 'edge-1' }] },
    }))] });
    started.push(edge);
    micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url, {
      jwks: { url: `${edgeUrl}/.well-known/jwks.json`, unknownKidCooldownSeconds: 60 },
    }))] });
    started.push(micro);
  });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ iss: edgeUrl, aud: 'orders', sub: 'alice', client_id: 'app', scope: 'orders:read', iat: now(), exp: now() + 60, jti: `j-${Math.random()}` });
  // low-s, as the edge signs (the micro gateway refuses the high-s twin)
  const sign = async (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    toLowS('ES256', await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'edge-1', typ: 'at+jwt', ...header }).sign(edgeKey));
  /** the other valid ECDSA spelling of a low-s ES256 JWS: s → n − s */
  const highS = (jws: string) => {
    const dot = jws.lastIndexOf('.');
    const sig = Buffer.from(jws.slice(dot + 1), 'base64url');
    const n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n;
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex').copy(sig, 32);
    return `${jws.slice(0, dot + 1)}${sig.toString('base64url')}`;
  };

  test('a token signed with the edge key and right claims passes (the harness is sound)', async () => {
    const reply = await send(`${micro.url}/orders/1`, { headers: bearer(await sign(claims())) });
    assert.equal(reply.status, 200);
  });

  test('every attack is 401 invalid_token, nothing reaches the backend, only the unknown kid may trigger a JWKS refetch (at most one)', async () => {
    const good = await sign(claims());
    const [h, p, s] = good.split('.');
    const publicJwk = (await (await fetch(`${edgeUrl}/.well-known/jwks.json`)).json() as { keys: object[] }).keys[0]!;
    const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'edge-1', typ: 'at+jwt' })).toString('base64url');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', kid: 'edge-1', typ: 'at+jwt' })).toString('base64url');
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const attacks: [string, string][] = [
      ['tampered payload', `${h}.${Buffer.from(JSON.stringify({ ...claims(), scope: 'orders:admin' })).toString('base64url')}.${s}`],
      ['wrong key, right kid', await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'edge-1', typ: 'at+jwt' }).sign(attacker)],
      ['alg none', `${noneHeader}.${p}.`],
      ['HS256 keyed with the public JWK', `${hsHeader}.${p}.${createHmac('sha256', JSON.stringify(publicJwk)).update(`${hsHeader}.${p}`).digest('base64url')}`],
      ['expired', await sign({ ...claims(), iat: now() - 200, exp: now() - 100 })],
      ['not yet valid', await sign({ ...claims(), nbf: now() + 120 })],
      ['wrong audience', await sign({ ...claims(), aud: 'inventory' })],
      ['wrong issuer', await sign({ ...claims(), iss: 'http://evil.example' })],
      ['typ JWT', await sign(claims(), { typ: 'JWT' })],
      ['lifetime over the maximum', await sign({ ...claims(), exp: now() + 3600 })],
      ['jku pointing elsewhere', await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'evil', typ: 'at+jwt', jku: 'http://127.0.0.1:1/jwks.json' }).sign(attacker)],
      ['embedded jwk', await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'edge-1', typ: 'at+jwt', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }).sign(attacker)],
      ['padded base64url', `${good}==`],
      ['the high-s ECDSA twin of a valid token (s → n − s)', highS(good)],
    ];
    const backendBefore = (await received(backend)).length;
    const fetchesBefore = await metric(micro, 'phantom_jwks_fetches_total');
    for (const [name, token] of attacks) {
      const reply = await send(`${micro.url}/orders/1`, { headers: bearer(token) });
      assert.equal(reply.status, 401, name);
      assert.match(String(reply.headers['www-authenticate']), /^Bearer realm="phantom-test", error="invalid_token"/, name);
    }
    assert.equal((await received(backend)).length, backendBefore);
    // only the unknown kid "evil" may trigger a refetch, and the cooldown makes it one
    assert.ok(await metric(micro, 'phantom_jwks_fetches_total') - fetchesBefore <= 1);
  });

  test('a flood of random kids costs at most one JWKS refetch per cooldown', async () => {
    const before = await metric(micro, 'phantom_jwks_fetches_total');
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => sign(claims(), { kid: `random-${i}` })));
    const replies = await Promise.all(tokens.map((t) => send(`${micro.url}/orders/1`, { headers: bearer(t) })));
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [401]);
    assert.ok(await metric(micro, 'phantom_jwks_fetches_total') - before <= 1);
  });

  test('with the edge (and its JWKS) down, the micro gateway keeps verifying with its cached keys', async () => {
    const token = await getToken(as, { scope: 'orders:read' });
    const jwt = await mintedJwt(edgeUrl, token);
    const unseen = await sign(claims());
    await edge.stop();
    const reply = await send(`${micro.url}/orders/2`, { headers: bearer(unseen) });
    assert.equal(reply.status, 200);
    assert.equal((await send(`${micro.url}/orders/3`, { headers: bearer(jwt) })).status, 200);
  });
});
