import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { CompactEncrypt, SignJWT, exportJWK } from 'jose';
import { SCRIPTS, adminUrl, freePort, microConfig, received, startBackend, tempDir, waitForLine, writeYaml } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { toLowS } from '../../libs/verification/index.js';

/**
 * The micro gateway against tokens an edge would never mint, signed with a key
 * it trusts: its JWKS is served by a real HTTP server in this process.
 */
describe('micro gateway hardening (real micro and backend processes)', () => {
  const started: Program[] = [];
  const dir = tempDir();
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const encryption = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = 'http://edge.test';
  let jwks: Server;
  let micro: Program; let backend: Program;
  const now = () => Math.floor(Date.now() / 1000);
  const sign = async (extra: Record<string, unknown> = {}) => toLowS('ES256', await new SignJWT({ iss: issuer, aud: 'orders', sub: 'alice', client_id: 'app', scope: 'orders:read', iat: now(), exp: now() + 60, ...extra })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign(signing.privateKey));

  before(async () => {
    const doc = JSON.stringify({ keys: [{ ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] });
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(doc));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const keyFile = join(dir, 'enc.pem');
    writeFileSync(keyFile, encryption.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    backend = await startBackend();
    started.push(backend);
    const port = await freePort();
    micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', {
      ...microConfig(issuer, port, backend.url, {
        jwks: { url: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks` },
        claimHeaders: { sub: 'X-Auth-Sub', name: 'X-Auth-Name' },
        encryption: { mode: 'optional', keyFile, publish: true },
      }),
    })] });
    started.push(micro);
  });
  after(async () => { await Promise.all(started.map((p) => p.stop())); jwks.close(); });

  test('a claim that cannot be a header value (CR LF, NUL, beyond Latin-1) is left out with a log line; 200, never 502', async () => {
    for (const [i, name] of ['mallory\r\nX-Injected: 1', 'nul\u0000byte', '名前'].entries()) {
      const reply = await send(`${micro.url}/orders/claim-${i}`, { headers: bearer(await sign({ name })) });
      assert.equal(reply.status, 200, `${JSON.stringify(name)}: ${reply.text}`);
      const seen = (await received(backend)).find((r) => r.url === `/orders/claim-${i}`)!;
      assert.equal(seen.headers['x-auth-name'], undefined);
      assert.equal(seen.headers['x-injected'], undefined);
      assert.equal(seen.headers['x-auth-sub'], 'alice', 'the legal claim headers still go');
    }
    const line = await waitForLine(micro, 'claim header left out');
    assert.match(line, /"claim":"name".*"reason":"illegal_header_value"/);
    // a legal value still goes
    const ok = await send(`${micro.url}/orders/claim-ok`, { headers: bearer(await sign({ name: 'Zoë Smith' })) });
    assert.equal(ok.status, 200);
  });

  test('a valid JWE with zip: DEF (a 233 kB JWS squeezed small) → 401 invalid_token before decryption', async () => {
    const inner = await sign({ pad: 'a'.repeat(233_000) });
    const jwe = await new CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', zip: 'DEF', cty: 'JWT' })
      .encrypt(encryption.publicKey);
    assert.ok(jwe.length < 2000, `the compressed token is ${jwe.length} bytes`);
    const reply = await send(`${micro.url}/orders/zip`, { headers: bearer(jwe) });
    assert.equal(reply.status, 401);
    assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
    assert.match(await waitForLine(micro, '"path":"/orders/zip"'), /"reason":"zip"/);
    // the same token without zip is accepted (the refusal is about compression, not the harness)
    const plain = await new CompactEncrypt(new TextEncoder().encode(await sign()))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT' }).encrypt(encryption.publicKey);
    assert.equal((await send(`${micro.url}/orders/plain-jwe`, { headers: bearer(plain) })).status, 200);
  });

  test('answers off the data path use the JSON error model: POST /.well-known/jwks.json → 405, unknown admin path → 404', async () => {
    const post = await send(`${micro.url}/.well-known/jwks.json`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.deepEqual(Object.keys(post.json()), ['error', 'error_description']);
    assert.equal(post.json().error, 'method_not_allowed');
    assert.equal((await send(`${micro.url}/.well-known/jwks.json`)).status, 200);
    const admin = await send(`${adminUrl(micro)}/nope`, { method: 'POST' });
    assert.equal(admin.status, 404);
    assert.equal(admin.json().error, 'not_found');
  });
});
