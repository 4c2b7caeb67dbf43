import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { edgeConfig, freePort, getToken, microConfig, received, SCRIPTS, startBackend, startDevAs, tempDir, writeYaml } from '../support/topology.js';
import { bearer, decode, send } from '../support/http.js';
import { createTestCa, type Issued, type TestCa } from '../support/certs.js';
import { sendTls } from '../support/https.js';

/** a token from the development AS bound to this client certificate (RFC 8705 §3) */
async function boundToken(as: Program, cert: Issued): Promise<string> {
  const res = await fetch(`${as.url}/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    headers: { authorization: `Basic ${Buffer.from('bound-app:bound-secret').toString('base64')}`, 'x-dev-client-cert': encodeURIComponent(readFileSync(cert.cert, 'utf8')) },
  });
  const json = await res.json() as { access_token?: string };
  if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
  return json.access_token;
}

const clientCertHeader = (cert: Issued) => `:${new X509Certificate(readFileSync(cert.cert)).raw.toString('base64')}:`;

describe('certificate-bound access tokens at the edge (RFC 8705 §3), translated into the internal JWT', () => {
  const dir = tempDir();
  let ca: TestCa, clients: TestCa;
  let as: Program, backend: Program, edge: Program, micro: Program;
  let alice: Issued, mallory: Issued;
  let url: string;
  let token: string;
  const server = { servername: 'edge.example.test' };

  before(async () => {
    ca = createTestCa(dir, 'Edge CA');
    clients = createTestCa(dir, 'Client CA'); // client certificates the edge knows nothing about: only the thumbprint binds
    const edgeCert = ca.issue('edge.example.test', { dns: ['edge.example.test'], ips: ['127.0.0.1'] });
    alice = clients.issue('alice');
    mallory = clients.issue('mallory');
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    const [edgePort, microPort] = await Promise.all([freePort(), freePort()]);
    url = `https://127.0.0.1:${edgePort}`;
    edge = await spawnProgram({
      name: 'edge', script: SCRIPTS.edge,
      args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, `http://127.0.0.1:${microPort}`, {
        issuer: url,
        server: { trustedProxies: ['127.0.0.1'], tls: { certificates: [{ certFile: edgeCert.cert, keyFile: edgeCert.key }], clientAuth: { required: false } } },
        proofOfPossession: { forwardedCertificateHeader: 'Client-Cert' },
      }))],
    });
    micro = await spawnProgram({
      name: 'micro', script: SCRIPTS.micro, env: { NODE_EXTRA_CA_CERTS: ca.cert },
      args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(url, microPort, backend.url, {
        routes: [
          { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'], requireSenderConstraint: true },
          { name: 'orders-open', pathPrefix: '/open', methods: ['GET'], scopes: ['orders:read'] },
        ],
      }))],
    });
    token = await boundToken(as, alice);
  });
  after(async () => { await Promise.all([edge, micro, backend, as].map((p) => p?.stop())); });

  test('with its certificate on the TLS connection → 200; the minted JWT carries cnf.x5t#S256 and sender_constraint "mtls", and a requireSenderConstraint route admits it', async () => {
    const r = await sendTls(`${url}/orders/1`, { ca: ca.cert, ...server, cert: alice.cert, key: alice.key }, { headers: bearer(token) });
    assert.equal(r.status, 200, r.text);
    const jwt = decode(r.json<{ headers: { authorization: string } }>().headers.authorization.slice(7));
    const thumbprint = createHash('sha256').update(new X509Certificate(readFileSync(alice.cert)).raw).digest('base64url');
    assert.deepEqual(jwt.claims.cnf, { 'x5t#S256': thumbprint });
    assert.equal(jwt.claims.sender_constraint, 'mtls');
  });

  test('with another certificate, or none, → 401 invalid_token, and the backend is not called', async () => {
    const before = (await received(backend)).length;
    const other = await sendTls(`${url}/orders/1`, { ca: ca.cert, ...server, cert: mallory.cert, key: mallory.key }, { headers: bearer(token) });
    assert.equal(other.status, 401);
    assert.equal(other.headers['www-authenticate'], 'Bearer realm="phantom-test", error="invalid_token", error_description="the access token is bound to another client certificate"');
    const none = await sendTls(`${url}/orders/1`, { ca: ca.cert, ...server }, { headers: bearer(token), localAddress: '127.0.0.2' });
    assert.equal(none.status, 401);
    assert.deepEqual(none.json(), { error: 'invalid_token', error_description: 'the access token is bound to a client certificate, and this request presented none' });
    assert.equal((await received(backend)).length, before);
  });

  test('a certificate forwarded by a trusted proxy (RFC 9440 Client-Cert) binds; from an untrusted peer the header is ignored; it never reaches the next hop', async () => {
    const forwarded = await sendTls(`${url}/orders/2`, { ca: ca.cert, ...server }, { headers: { ...bearer(token), 'client-cert': clientCertHeader(alice) } });
    assert.equal(forwarded.status, 200, forwarded.text);
    assert.equal(forwarded.json<{ headers: Record<string, string> }>().headers['client-cert'], undefined);
    const wrong = await sendTls(`${url}/orders/2`, { ca: ca.cert, ...server }, { headers: { ...bearer(token), 'client-cert': clientCertHeader(mallory) } });
    assert.equal(wrong.status, 401);
    const untrusted = await sendTls(`${url}/orders/2`, { ca: ca.cert, ...server }, { headers: { ...bearer(token), 'client-cert': clientCertHeader(alice) }, localAddress: '127.0.0.2' });
    assert.equal(untrusted.status, 401);
    assert.equal(untrusted.json<{ error_description: string }>().error_description, 'the access token is bound to a client certificate, and this request presented none');
  });

  test('a plain bearer token gets 403 sender_constraint_required at a micro route that requires a sender constraint; the JWT minted for a bound token passes a route without it', async () => {
    const plain = await getToken(as, { scope: 'orders:read' });
    const open = await sendTls(`${url}/orders/3`, { ca: ca.cert, ...server }, { headers: bearer(plain) });
    assert.equal(open.status, 403);
    assert.deepEqual(open.json(), { error: 'sender_constraint_required', error_description: 'this route requires a sender-constrained (mTLS-bound or DPoP) access token' });
    assert.equal(open.headers['www-authenticate'], undefined);
    const boundReply = await sendTls(`${url}/orders/1`, { ca: ca.cert, ...server, cert: alice.cert, key: alice.key }, { headers: bearer(token) });
    const minted = boundReply.json<{ headers: { authorization: string } }>().headers.authorization;
    const direct = await send(`${micro.url}/open/1`, { headers: { authorization: minted } });
    assert.equal(direct.status, 200, direct.text);
  });
});
