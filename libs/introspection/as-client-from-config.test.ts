import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { edgeConfigSchema, parseConfig } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { AS_MAX_RESPONSE_BYTES, asFetch, createAsClientFromConfig } from './as-client-from-config.js';
import { createJwksCache, type JwksEvent } from '../verification/index.js';
import { rawHttpServer } from '../../test/support/raw-server.js';

/** a real AS stand-in on 127.0.0.1 whose introspection answer is active JSON padded to `size` bytes */
async function paddedAs() {
  let size = 100;
  let base = '';
  let sent = 0;
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: base, introspection_endpoint: `${base}/introspect` }));
        return;
      }
      const head = '{"active":true,"scope":"a","pad":"';
      const body = `${head}${'x'.repeat(Math.max(0, size - head.length - 2))}"}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      // in chunks, as a streaming AS would; counts what left before the edge stopped reading
      const chunk = 64 * 1024;
      let at = 0;
      const more = (): void => {
        while (at < body.length) {
          const piece = body.slice(at, at + chunk);
          at += piece.length;
          sent += piece.length;
          if (!res.write(piece)) { res.once('drain', more); return; }
        }
        res.end();
      };
      res.on('error', () => {});
      more();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, setSize: (n: number) => { size = n; sent = 0; }, get sent() { return sent; }, close: () => { server.closeAllConnections(); server.close(); } };
}

const edgeDoc = (issuer: string) => ({
  issuer: 'http://edge', development: true, keys: { generate: true },
  authorizationServer: { issuer, clientId: 'edge', clientSecret: 's', allowHttp: true }, audiences: { orders: {} },
  routes: [{ name: 'orders', pathPrefix: '/orders', upstream: 'http://micro', audience: 'orders' }],
});

test('an introspection answer over the AS size bound is a 503 introspection_too_large, not read whole; one just under it is accepted', async () => {
  const as = await paddedAs();
  try {
    const client = createAsClientFromConfig(parseConfig('edge.yaml', edgeDoc(as.base), edgeConfigSchema).authorizationServer);
    as.setSize(AS_MAX_RESPONSE_BYTES - 1024);
    assert.equal((await client.introspect('t1')).active, true);
    as.setSize(64 * AS_MAX_RESPONSE_BYTES);
    await assert.rejects(client.introspect('t2'), (e: unknown) => e instanceof GatewayError && e.status === 503 && e.reason === 'introspection_too_large');
    // the edge stopped reading near the bound: the AS's writes stalled far short of the 64 MiB answer
    assert.ok(as.sent < 16 * AS_MAX_RESPONSE_BYTES, `the AS sent ${as.sent} bytes`);
  } finally { as.close(); }
});

test('a gzip AS answer is bounded by its decoded size: metadata that inflates past the bound is refused, a small one still read', async () => {
  let base = '';
  let pad = 0;
  const server = createServer((req, res) => {
    req.resume();
    // 64 MiB of metadata is about 64 KB of gzip: under the pool's bound on the wire
    const gz = gzipSync(Buffer.from(`{"issuer":"${base}","introspection_endpoint":"${base}/introspect","pad":"${'x'.repeat(pad)}"}`));
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length }).end(gz);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = () => createAsClientFromConfig(parseConfig('edge.yaml', edgeDoc(base), edgeConfigSchema).authorizationServer);
  try {
    assert.equal((await client().discover()).introspection_endpoint, `${base}/introspect`);
    pad = 64 * AS_MAX_RESPONSE_BYTES;
    await assert.rejects(client().discover(), (e: unknown) => e instanceof GatewayError && e.status === 503 && e.reason === 'discovery_failed');
  } finally { server.closeAllConnections(); server.close(); }
});

test('metadata and an introspection answer sent a byte per chunk are read whole, and no compression is asked for (undici\'s fetch asked for gzip, deflate, br)', async () => {
  let base = '';
  const bytewise = (body: string) => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${[...body].map((c) => `1\r\n${c}\r\n`).join('')}0\r\n\r\n`;
  const as = await rawHttpServer((socket, head) => {
    const metadata = head.startsWith('GET /.well-known/oauth-authorization-server ');
    socket.write(bytewise(metadata ? JSON.stringify({ issuer: base, introspection_endpoint: `${base}/introspect`, pad: 'p'.repeat(20_000) }) : '{"active":true,"scope":"a"}'));
  });
  base = as.origin;
  try {
    const client = createAsClientFromConfig(parseConfig('edge.yaml', edgeDoc(base), edgeConfigSchema).authorizationServer);
    assert.equal((await client.discover()).introspection_endpoint, `${base}/introspect`);
    assert.deepEqual(await client.introspect('t1'), { active: true, scope: 'a' });
    assert.deepEqual(as.heads.map((h) => h.split('\r\n')[0]), ['GET /.well-known/oauth-authorization-server HTTP/1.1', 'POST /introspect HTTP/1.1']);
    assert.deepEqual(as.heads.filter((h) => /\r\naccept-encoding:/i.test(h)), [], 'no Accept-Encoding sent');
  } finally { await as.close(); }
});

test('a hostile AS on every other call path (discovery, the bearer token endpoint, the JWKS of JWT access tokens): a redirect is not followed, an answer that never ends is cut at timeoutMs', async (t) => {
  let mode: 'redirect' | 'endless' = 'redirect';
  const as = await rawHttpServer((socket) => {
    if (mode === 'redirect') { socket.write(`HTTP/1.1 302 Found\r\nlocation: ${as.origin}/elsewhere\r\ncontent-length: 0\r\n\r\n`); return; }
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{"a":\r\n'); // and nothing more
  });
  t.after(as.close);
  const section = (extra: Record<string, unknown>) => parseConfig('edge.yaml', { ...edgeDoc(as.origin), authorizationServer: { ...edgeDoc(as.origin).authorizationServer, timeoutMs: 300, ...extra } }, edgeConfigSchema).authorizationServer;
  const discovery = section({});
  const bearer = section({ introspectionEndpoint: `${as.origin}/introspect`, tokenEndpoint: `${as.origin}/token`, clientAuth: 'bearer', bearer: { scope: 'introspect' } });
  const jwksError = async () => {
    const events: JwksEvent[] = [];
    const jwks = createJwksCache({ url: `${as.origin}/jwks`, timeoutMs: discovery.timeoutMs, fetch: asFetch(discovery), minAgeSeconds: 60, maxAgeSeconds: 60, unknownKidCooldownSeconds: 10, maxStaleSeconds: 60, algorithms: ['ES256'], onEvent: (e) => events.push(e) });
    assert.equal(await jwks.refresh(), false);
    return events.map((e) => (e.type === 'fetch_failed' ? e.error : e.type)).join();
  };
  const outcomes: Record<string, unknown> = {};
  for (const m of ['redirect', 'endless'] as const) {
    mode = m;
    const innermost = (e: Error): Error => (e.cause instanceof Error ? innermost(e.cause) : e);
    const failure = (e: unknown) => (e instanceof GatewayError && e.status === 503 ? `${e.reason} ${innermost(e).name}` : `not a 503: ${String(e)}`);
    outcomes[`discovery, ${m}`] = await createAsClientFromConfig(discovery).discover().then(() => 'accepted', failure);
    outcomes[`bearer, ${m}`] = await createAsClientFromConfig(bearer).introspect('t').then(() => 'accepted', failure);
    outcomes[`jwks, ${m}`] = await jwksError();
  }
  assert.deepEqual(outcomes, {
    'discovery, redirect': 'discovery_failed OperationProcessingError', 'bearer, redirect': 'bearer_token_refused_http_302 OperationProcessingError', 'jwks, redirect': 'HTTP 302',
    'discovery, endless': 'discovery_failed TimeoutError', 'bearer, endless': 'bearer_token_unavailable TimeoutError', 'jwks, endless': 'The operation was aborted due to timeout',
  });
  assert.deepEqual(as.heads.filter((h) => h.includes('/elsewhere')), [], 'no redirect followed');
});
