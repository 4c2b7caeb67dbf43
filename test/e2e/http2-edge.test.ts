import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { readFileSync } from 'node:fs';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { edgeConfig, freePort, getToken, microConfig, SCRIPTS, startBackend, startDevAs, tempDir, writeYaml } from '../support/topology.js';
import { createTestCa, type TestCa } from '../support/certs.js';
import { sendTls } from '../support/https.js';

function h2(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let head: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => { head = h; });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, text: Buffer.concat(chunks).toString('utf8') }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

describe('HTTP/2 over ALPN on the edge listener: same data path, scopes and errors as HTTP/1.1', () => {
  const dir = tempDir();
  let ca: TestCa;
  let as: Program, backend: Program, edge: Program, micro: Program;
  let session: ClientHttp2Session;
  let url: string;

  before(async () => {
    ca = createTestCa(dir);
    const cert = ca.issue('edge.example.test', { dns: ['edge.example.test'], ips: ['127.0.0.1'] });
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    const [edgePort, microPort] = await Promise.all([freePort(), freePort()]);
    url = `https://127.0.0.1:${edgePort}`;
    edge = await spawnProgram({
      name: 'edge', script: SCRIPTS.edge,
      args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, `http://127.0.0.1:${microPort}`, {
        issuer: url, server: { tls: { http2: true, certificates: [{ certFile: cert.cert, keyFile: cert.key }] } },
      }))],
    });
    micro = await spawnProgram({
      name: 'micro', script: SCRIPTS.micro, env: { NODE_EXTRA_CA_CERTS: ca.cert },
      args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(url, microPort, backend.url))],
    });
    session = connect(url, { ca: readFileSync(ca.cert), servername: 'edge.example.test' });
  });
  after(async () => { session?.close(); await Promise.all([edge, micro, backend, as].map((p) => p?.stop())); });

  test('an HTTP/2 client negotiates h2 and reaches the backend through both gateways; a body streams through', async () => {
    const token = await getToken(as, { scope: 'orders:read orders:write' });
    const ok = await h2(session, { ':method': 'GET', ':path': '/orders/1', authorization: `Bearer ${token}` });
    assert.equal(session.alpnProtocol, 'h2');
    assert.equal(ok.status, 200, ok.text);
    const echo = JSON.parse(ok.text) as { request: string; headers: Record<string, string> };
    assert.equal(echo.request, 'GET /orders/1 HTTP/1.1');
    assert.equal(echo.headers['x-forwarded-host'], `edge.example.test:${new URL(url).port}`); // from :authority
    assert.ok(!Object.keys(echo.headers).some((h) => h.startsWith(':')));
    const posted = await h2(session, { ':method': 'POST', ':path': '/orders', authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, 'x'.repeat(100_000));
    assert.equal(posted.status, 200, posted.text);
    assert.equal((JSON.parse(posted.text) as { bodyBytes: number }).bodyBytes, 100_000);
  });

  test('refusals over HTTP/2 are the documented ones: 401 challenge, 403 insufficient_scope, 404', async () => {
    const none = await h2(session, { ':method': 'GET', ':path': '/orders/1' });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="phantom-test"');
    assert.deepEqual(JSON.parse(none.text), { error: 'unauthorized', error_description: 'a Bearer access token is required' });
    const readOnly = await getToken(as, { scope: 'inventory:read' });
    const scope = await h2(session, { ':method': 'GET', ':path': '/orders/1', authorization: `Bearer ${readOnly}` });
    assert.equal(scope.status, 403);
    assert.match(String(scope.headers['www-authenticate']), /error="insufficient_scope"/);
    assert.equal((await h2(session, { ':method': 'GET', ':path': '/nowhere', authorization: `Bearer ${readOnly}` })).status, 404);
  });

  test('HTTP/1.1 clients keep working on the same listener', async () => {
    const token = await getToken(as, { scope: 'orders:read' });
    const r = await sendTls(`${url}/orders/1`, { ca: ca.cert, servername: 'edge.example.test' }, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, r.text);
  });
});
