/**
 * Development Authorization Server process.
 *   node dist/apps/dev-as/src/main.js [--port 4000] [--host 127.0.0.1] [--issuer http://dev-as:4000] [--introspection-delay-ms 0]
 * (--issuer: the URL others reach it at, when that is not http://host:port, e.g. in compose)
 *   [--tls-cert cert.pem --tls-key key.pem [--tls-client-ca ca.pem]]: HTTPS; client certificates are asked for
 *   (not required) and those chaining to --tls-client-ca are "verified" (RFC 8705 tls_client_auth)
 *   [--tls-client id=<SAN DNS name>]: a tls_client_auth client; [--self-signed-tls-client id=<cert.pem>]: a
 *   self_signed_tls_client_auth client (its certificate registered as a JWK with x5c)
 * Serves oidc-provider plus GET /_dev/stats (introspection calls counted here,
 * so tests and benchmarks can assert how often the edge asked).
 */
import { createServer, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createDevProvider } from './provider.js';
import { parseArgs } from 'node:util';
import { pushRevocations } from './push-revocations.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.DEV_AS_PORT ?? '4000' },
    host: { type: 'string', default: '127.0.0.1' },
    issuer: { type: 'string' },
    'private-key-jwt-client': { type: 'string', multiple: true },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-client-ca': { type: 'string' },
    'tls-client': { type: 'string', multiple: true },
    'self-signed-tls-client': { type: 'string', multiple: true },
    'jwt-introspection': { type: 'boolean', default: false },
    /** introspection and revocation answer for its own RFC 9068 JWT access tokens (oidc-provider alone says active:false) */
    'introspect-jwt-access-tokens': { type: 'boolean', default: false },
    /** holds every introspection answer this long (tests: a request still waiting for its introspection) */
    'introspection-delay-ms': { type: 'string', default: '0' },
    /** the edge admin URL(s) this AS tells about every revoked access token (secret: DEV_AS_PUSH_SECRET) */
    'push-revocations': { type: 'string', multiple: true },
  },
});

const stats = { introspections: 0, tokens: 0, revocations: 0 };
let handler: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | undefined;

const listener: RequestListener = (req, res) => {
  if (req.url === '/_dev/stats' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.method === 'POST') {
    if (req.url === '/token/introspection') stats.introspections++;
    else if (req.url === '/token') stats.tokens++;
    else if (req.url === '/token/revocation') stats.revocations++;
  }
  if (!handler) {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"starting"}');
    return;
  }
  const delay = Number(values['introspection-delay-ms']);
  if (delay > 0 && req.url === '/token/introspection') { const h = handler; setTimeout(() => h(req, res), delay); return; }
  handler(req, res);
};

const tls = values['tls-cert'] !== undefined;
const server = tls
  ? createTlsServer({
    cert: readFileSync(values['tls-cert']!), key: readFileSync(values['tls-key'] ?? ''),
    // asked for, not required: clients without a certificate still use the other methods
    requestCert: true, rejectUnauthorized: false,
    ...(values['tls-client-ca'] ? { ca: readFileSync(values['tls-client-ca']) } : {}),
  }, listener)
  : createServer(listener);

/** `id=value` arguments → { id: value } */
const pairs = (args: string[] | undefined) => Object.fromEntries((args ?? []).map((arg) => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]));
/** a self-signed certificate as the client's JWK Set: its public key with x5c (oidc-provider computes x5t#S256 from it) */
function certificateJwks(file: string): { keys: object[] } {
  const cert = new X509Certificate(readFileSync(file));
  return { keys: [{ ...cert.publicKey.export({ format: 'jwk' }), x5c: [cert.raw.toString('base64')] }] };
}

server.listen(Number(values.port), values.host, async () => {
  const { port } = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${values.host}:${port}`;
  const issuer = values.issuer ?? url;
  // --private-key-jwt-client id=<JWKS JSON>: a client that authenticates with private_key_jwt
  const privateKeyJwtClients = Object.fromEntries((values['private-key-jwt-client'] ?? []).map((arg) => {
    const eq = arg.indexOf('=');
    return [arg.slice(0, eq), JSON.parse(arg.slice(eq + 1)) as { keys: object[] }];
  }));
  const provider = await createDevProvider({ issuer, privateKeyJwtClients, jwtIntrospection: values['jwt-introspection'], introspectJwtAccessTokens: values['introspect-jwt-access-tokens'],
    tlsClients: pairs(values['tls-client']),
    selfSignedTlsClients: Object.fromEntries(Object.entries(pairs(values['self-signed-tls-client'])).map(([id, file]) => [id, certificateJwks(file)])),
  });
  handler = provider.callback();
  pushRevocations(provider, values['push-revocations'] ?? [], process.env.DEV_AS_PUSH_SECRET ?? '');
  process.stdout.write(JSON.stringify({ ready: true, program: 'dev-as', url, issuer }) + '\n');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => { server.close(); server.closeAllConnections(); process.exit(0); });
}
