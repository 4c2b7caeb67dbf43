import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import {
  SCRIPTS, asStats, awayFromWindowEdge, edgeConfig, freePort, getToken, mintedJwt, microConfig, startBackend, startDevAs, startTopology,
  tempDir, waitForLine, writeYaml,
} from '../support/topology.js';
import { bearer, decode, send } from '../support/http.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';

const started: Program[] = [];
after(async () => { await Promise.all(started.map((p) => p.stop())); });

function ecKey(file: string): void {
  writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
}

async function startEdgeOn(dir: string, as: Program, upstream: string, patch: Record<string, unknown>) {
  const port = await freePort();
  const doc = (p: Record<string, unknown>) => edgeConfig(as.url, port, upstream, { development: false, ...p });
  const file = writeYaml(dir, 'edge.yaml', doc(patch));
  const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', file] });
  started.push(edge);
  return { edge, rewrite: (p: Record<string, unknown>) => writeYaml(dir, 'edge.yaml', doc(p)) };
}

describe('edge reload builds everything first, then swaps', () => {
  test('a reload refused for a missing encryption.keyFile changes neither the JWKS nor the signing key', async () => {
    const dir = tempDir();
    ecKey(join(dir, 'k1.pem'));
    ecKey(join(dir, 'k2.pem'));
    const [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    started.push(as, backend);
    const { edge, rewrite } = await startEdgeOn(dir, as, backend.url, { keys: { generate: false, signing: [{ file: join(dir, 'k1.pem'), kid: 'k1' }] } });
    const jwksBefore = await (await fetch(`${edge.url}/.well-known/jwks.json`)).text();
    assert.deepEqual((JSON.parse(jwksBefore) as { keys: { kid: string }[] }).keys.map((k) => k.kid), ['k1']);

    // k2 would become active, but the orders audience names an encryption key file that does not exist
    rewrite({
      keys: { generate: false, signing: [{ file: join(dir, 'k1.pem'), kid: 'k1', retired: true }, { file: join(dir, 'k2.pem'), kid: 'k2' }] },
      audiences: { orders: { scopes: ['orders:read', 'orders:write'], encryption: { keyFile: join(dir, 'missing.pem') } }, inventory: { scopes: ['inventory:read'] } },
    });
    edge.child.kill('SIGHUP');
    const refused = await waitForLine(edge, 'configuration reload refused', 5000);
    assert.match(refused, /missing\.pem/);

    assert.equal(await (await fetch(`${edge.url}/.well-known/jwks.json`)).text(), jwksBefore);
    const jwt = await mintedJwt(edge.url, await getToken(as, { scope: 'orders:read' }));
    assert.equal(decode(jwt).header.kid, 'k1');
    assert.equal(decode(jwt).header.cty, undefined, 'no encryption either');
  });

  test('requests waiting for their introspection during a reload are forwarded: zero dropped', async () => {
    const dir = tempDir();
    const [as, backend] = await Promise.all([startDevAs(['--introspection-delay-ms', '1500']), startBackend()]);
    started.push(as, backend);
    // the AS holds every introspection 1.5 s; the edge waits for it up to 10 s (the machine may be loaded)
    const slowAs = { issuer: as.url, clientId: 'edge-gateway', clientSecret: 'edge-secret', allowHttp: true, timeoutMs: 10_000 };
    const { edge, rewrite } = await startEdgeOn(dir, as, backend.url, { development: true, keys: { generate: true }, authorizationServer: slowAs });
    const tokens = await Promise.all(Array.from({ length: 12 }, () => getToken(as, { scope: 'orders:read' })));
    const introspectedBefore = (await asStats(as)).introspections;
    const order: string[] = [];
    const replies = tokens.map((token, i) => send(`${edge.url}/orders/${i}`, { headers: bearer(token) }).then((r) => { order.push('reply'); return r.status; }));
    // every request is now waiting for its (held) introspection
    for (let deadline = Date.now() + 5000; (await asStats(as)).introspections < introspectedBefore + tokens.length;) {
      if (Date.now() > deadline) assert.fail('the introspections did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    rewrite({ development: true, keys: { generate: true }, authorizationServer: slowAs, stripHeaders: ['x-reload-marker'] });
    edge.child.kill('SIGHUP');
    await waitForLine(edge, 'configuration reloaded', 5000);
    order.push('reloaded');
    const statuses = await Promise.all(replies);
    assert.equal(order[0], 'reloaded', 'the reload happened while the requests were waiting');
    assert.deepEqual(statuses, tokens.map(() => 200));
  });
});

describe('micro reload keeps throttling state', () => {
  test('a client that used its 3 of 3 stays limited after a reload that did not change its route', async () => {
    const limited = { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'], rateLimit: { perClient: { limit: 3, per: '1m' } } };
    const t = await startTopology({ micro: { routes: [limited] } });
    started.push(t.as, t.backend, t.edge, t.micro);
    const token = await getToken(t.as, { scope: 'orders:read' });
    await awayFromWindowEdge(60_000, 5000);
    for (let i = 0; i < 3; i++) assert.equal((await send(`${t.edge.url}/orders/${i}`, { headers: bearer(token) })).status, 200);
    const edgeOrigin = new URL(t.edge.url).origin;
    const microPort = Number(new URL(t.micro.url).port);
    writeYaml(t.dir, 'micro.yaml', microConfig(edgeOrigin, microPort, t.backend.url, {
      routes: [limited, { name: 'orders-write', pathPrefix: '/orders', methods: ['POST'], scopes: ['orders:write'] }],
    }));
    t.micro.child.kill('SIGHUP');
    await waitForLine(t.micro, 'configuration reloaded', 5000);
    const fourth = await send(`${t.edge.url}/orders/4`, { headers: bearer(token) });
    assert.equal(fourth.status, 429);
    assert.equal(fourth.json<{ error: string }>().error, 'rate_limited');
  });
});
