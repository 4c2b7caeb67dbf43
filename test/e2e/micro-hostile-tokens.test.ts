import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { exportJWK } from 'jose';
import { SCRIPTS, freePort, microConfig, received, startBackend, tempDir, writeYaml } from '../support/topology.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { toLowS } from '../../libs/verification/index.js';
import { NODE_SIGNATURE_PARAMS } from '../../libs/keys/index.js';

/*
 * Hostile JWTs sent straight to a real micro gateway over raw sockets (no edge
 * in front): each one a 401 JSON invalid_token, and the backend never sees it.
 * The keys are the micro's own JWKS (served here): an ES256 key, an RSA key
 * without "alg", and an ES256 key whose key_ops allow nothing.
 */
const issuer = 'http://edge.test';
const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const noOps = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ iss: issuer, aud: 'orders', sub: 'alice', scope: 'orders:read', iat: now(), exp: now() + 60 });

function forge(header: object | string, payload: object | string, alg: 'ES256' | 'RS256' | 'PS256', key: KeyObject): string {
  const h = b64(typeof header === 'string' ? header : JSON.stringify(header));
  const p = b64(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const params = NODE_SIGNATURE_PARAMS[alg];
  return toLowS(alg, `${h}.${p}.${cryptoSign(params.digest, Buffer.from(`${h}.${p}`), { key, ...params.options }).toString('base64url')}`);
}

/** one request on a raw socket, the whole reply as text */
function rawGet(port: number, path: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => { text += c.toString('latin1'); }).on('close', () => resolve(text)).on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: orders\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
  });
}

let jwks: Server;
let micro: Program;
let backend: Program;
before(async () => {
  const doc = JSON.stringify({ keys: [
    { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256', use: 'sig' },
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa' },
    { ...(await exportJWK(noOps.publicKey)), kid: 'no-ops', alg: 'ES256', key_ops: [] },
  ] });
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(doc));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  backend = await startBackend();
  micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(tempDir(), 'micro.yaml', {
    ...microConfig(issuer, await freePort(), backend.url, {
      jwks: { url: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks` },
      verification: { algorithms: ['ES256', 'RS256', 'PS256'] },
    }),
  })] });
});
after(async () => { await Promise.all([micro?.stop(), backend?.stop()]); jwks.close(); });

test('hostile JWTs straight at the micro: each a 401 invalid_token JSON answer, none reaches the backend; a valid one does', async () => {
  const port = Number(new URL(micro.url).port);
  const c = claims();
  const payload = b64(JSON.stringify(c));
  const esHeader = { alg: 'ES256', kid: 'es', typ: 'at+jwt' };
  const good = forge(esHeader, c, 'ES256', es.privateKey);
  const [gh, gp, gs] = good.split('.') as [string, string, string];
  const hostile: Record<string, string> = {
    'alg none': `${b64(JSON.stringify({ alg: 'none', kid: 'es', typ: 'at+jwt' }))}.${payload}.`,
    'HS256 keyed with the RSA public key': (() => {
      const h = b64(JSON.stringify({ alg: 'HS256', kid: 'rsa', typ: 'at+jwt' }));
      return `${h}.${payload}.${createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string).update(`${h}.${payload}`).digest('base64url')}`;
    })(),
    'ES256 header, the RSA key': forge({ alg: 'ES256', kid: 'rsa', typ: 'at+jwt' }, c, 'ES256', es.privateKey),
    'a key whose key_ops allow nothing': forge({ alg: 'ES256', kid: 'no-ops', typ: 'at+jwt' }, c, 'ES256', noOps.privateKey),
    'another signer under the trusted kid': forge(esHeader, c, 'ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    'crit b64 false': forge({ ...esHeader, crit: ['b64'], b64: false }, c, 'ES256', es.privateKey),
    'typ JWT': forge({ ...esHeader, typ: 'JWT' }, c, 'ES256', es.privateKey),
    'duplicate alg, the last one none': forge('{"alg":"ES256","kid":"es","typ":"at+jwt","alg":"none"}', c, 'ES256', es.privateKey),
    'duplicate aud, the last one foreign': forge(esHeader, JSON.stringify(c).replace('"aud":"orders"', '"aud":"orders","aud":"inventory"'), 'ES256', es.privateKey),
    'payload not an object': forge(esHeader, '["orders"]', 'ES256', es.privateKey),
    'exp 1e400 (Infinity)': forge(esHeader, JSON.stringify(c).replace(/"exp":\d+/, '"exp":1e400'), 'ES256', es.privateKey),
    'payload swapped under a valid signature': `${gh}.${b64(JSON.stringify({ ...c, scope: 'orders:read orders:write' }))}.${gs}`,
    'signature one byte short': `${gh}.${gp}.${b64(Buffer.from(gs, 'base64url').subarray(1))}`,
    'four segments': `${good}.`,
  };
  for (const [name, token] of Object.entries(hostile)) {
    const reply = await rawGet(port, `/orders/${encodeURIComponent(name)}`, token);
    assert.match(reply, /^HTTP\/1\.1 401 /, name);
    assert.match(reply, /\r\ncontent-type: application\/json/i, name);
    assert.match(reply, /\r\nwww-authenticate: Bearer [^\r]*error="invalid_token"/i, name);
    assert.match(reply.slice(reply.indexOf('\r\n\r\n')), /"error":"invalid_token"/, name);
  }
  assert.deepEqual((await received(backend)).map((r) => r.url), []);
  assert.match(await rawGet(port, '/orders/valid', good), /^HTTP\/1\.1 200 /);
  assert.deepEqual((await received(backend)).map((r) => r.url), ['/orders/valid']);
});
