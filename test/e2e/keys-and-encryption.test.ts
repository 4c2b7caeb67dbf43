import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  SCRIPTS, edgeConfig, freePort, getToken, microConfig, received, startBackend, startDevAs, tempDir, untilCount, waitForLine, writeYaml,
} from '../support/topology.js';
import { bearer, decode, send } from '../support/http.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';

const started: Program[] = [];
after(async () => { await Promise.all(started.map((p) => p.stop())); });

function pem(kind: 'ec' | 'rsa', file: string) {
  const { privateKey, publicKey } = kind === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { privateKey, publicKey };
}

describe('nested JWT: the edge encrypts for an audience, its micro gateway decrypts', () => {
  test('JWE round trip; the backend gets the inner signed JWT; required mode refuses a plain JWS', async () => {
    const dir = tempDir();
    pem('ec', join(dir, 'micro-enc.pem'));
    const [as, backend, edgePort, microPort] = await Promise.all([startDevAs(), startBackend(), freePort(), freePort()]);
    started.push(as, backend);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const microUrl = `http://127.0.0.1:${microPort}`;
    const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, {
      audiences: { orders: { scopes: ['orders:read'], encryption: { jwksUrl: `${microUrl}/.well-known/jwks.json` } } },
    }))] });
    started.push(edge);
    const micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url, {
      encryption: { mode: 'required', keyFile: join(dir, 'micro-enc.pem') },
    }))] });
    started.push(micro);

    const published = await (await fetch(`${microUrl}/.well-known/jwks.json`)).json() as { keys: Record<string, unknown>[] };
    assert.equal(published.keys[0]!.use, 'enc');
    assert.equal(published.keys[0]!.d, undefined);

    const token = await getToken(as, { scope: 'orders:read' });
    const reply = await send(`${edgeUrl}/orders/7`, { headers: bearer(token) });
    assert.equal(reply.status, 200, reply.text);
    const atBackend = reply.json<{ headers: Record<string, string> }>().headers.authorization!.slice(7);
    assert.equal(atBackend.split('.').length, 3, 'the backend receives the inner JWS');
    assert.equal(decode(atBackend).claims.aud, 'orders');

    // what travelled between edge and micro was a JWE: replay a plain JWS at the micro gateway and see it refused
    const plain = await send(`${microUrl}/orders/7`, { headers: bearer(atBackend) });
    assert.equal(plain.status, 401);
    assert.match(String(plain.headers['www-authenticate']), /error_description="the access token must be encrypted"/);
  });
});

describe('signing key rotation under live traffic', () => {
  test('SIGHUP with a new active key and the old one retired: zero 401s, new JWTs carry the new kid', async () => {
    const dir = tempDir();
    pem('ec', join(dir, 'k1.pem'));
    pem('ec', join(dir, 'k2.pem'));
    const [as, backend, edgePort, microPort] = await Promise.all([startDevAs(), startBackend(), freePort(), freePort()]);
    started.push(as, backend);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const microUrl = `http://127.0.0.1:${microPort}`;
    const keysBefore = { generate: false, signing: [{ file: join(dir, 'k1.pem'), kid: 'k1' }] };
    const edgeFile = writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, { development: false, keys: keysBefore }));
    const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', edgeFile] });
    started.push(edge);
    const micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url))] });
    started.push(micro);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => getToken(as, { scope: 'orders:read' })));

    const statuses = new Map<number, number>();
    let stop = false;
    const workers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const r = await send(`${edgeUrl}/orders/${i}`, { headers: bearer(tokens[(w + i) % tokens.length]!) });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    });
    const done = () => [...statuses.values()].reduce((a, b) => a + b, 0);
    await untilCount(done, 20); // traffic flows before the rotation
    writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, { development: false, keys: {
      generate: false, signing: [{ file: join(dir, 'k1.pem'), kid: 'k1', retired: true }, { file: join(dir, 'k2.pem'), kid: 'k2' }],
    } }));
    edge.child.kill('SIGHUP');
    await waitForLine(edge, 'configuration reloaded');
    await untilCount(done, done() + 20); // and after it
    stop = true;
    await Promise.all(workers);

    assert.deepEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
    const jwks = await (await fetch(`${edgeUrl}/.well-known/jwks.json`)).json() as { keys: { kid: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), ['k1', 'k2']);
    const kids = (await received(backend)).map((r) => decode(String(r.headers.authorization).slice(7)).header.kid);
    assert.equal(kids[0], 'k1');
    assert.equal(kids[kids.length - 1], 'k2');
  });

  test('a token signed by a key the edge does not publish is refused by the micro gateway', async () => {
    const dir = tempDir();
    const [as, backend, edgePort, microPort] = await Promise.all([startDevAs(), startBackend(), freePort(), freePort()]);
    started.push(as, backend);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, `http://127.0.0.1:${microPort}`))] });
    started.push(edge);
    const micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url))] });
    started.push(micro);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ iss: edgeUrl, aud: 'orders', sub: 'mallory', scope: 'orders:read', iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: 'forged', typ: 'at+jwt', jku: `${edgeUrl}/.well-known/jwks.json` }).sign(privateKey);
    const reply = await send(`http://127.0.0.1:${microPort}/orders/1`, { headers: bearer(forged) });
    assert.equal(reply.status, 401);
    assert.equal(reply.json().error, 'invalid_token');
    assert.equal((await received(backend)).length, 0);
  });
});
