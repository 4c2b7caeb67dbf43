import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { basicCredentials, createAsClient, createBearerToken, createClientAuth, type AsClientOptions } from './index.js';
import { GatewayError } from '../errors/index.js';

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse, base: string) => void;

/** A real HTTP server on 127.0.0.1 answering by path; records every request it saw. */
async function fakeAs(routes: Record<string, Handler>) {
  const seen: { url: string; auth?: string | undefined; accept?: string | undefined; body: string }[] = [];
  let base = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; }).on('end', () => {
      seen.push({ url: req.url!, auth: req.headers.authorization, accept: req.headers.accept, body });
      const route = routes[req.url!];
      if (!route) { res.writeHead(404).end(); return; }
      route(Object.assign(req, { body }), res, base);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, close: () => { server.closeAllConnections(); server.close(); } };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
const metadata = (extra: Record<string, unknown> = {}): Handler => (_q, s, base) =>
  json(s, 200, { issuer: base, introspection_endpoint: `${base}/introspect`, token_endpoint: `${base}/token`, ...extra });
const basicAuth = { method: 'client_secret_basic', clientSecret: 's', encoding: 'minimal' } as const;
const opts = (issuer: string, extra: Partial<AsClientOptions> = {}): AsClientOptions =>
  ({ issuer, clientId: 'edge', auth: basicAuth, timeoutMs: 1000, allowHttp: true, ...extra });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const isUnavailable = (reason: string) => (e: unknown) => e instanceof GatewayError && e.status === 503 && e.reason === reason;

test('client_secret_basic: minimal, form and raw encodings of an id with - . _ ~ and a secret with : % + and a space', async () => {
  const id = 'edge.gw-1_~';
  const secret = 's:e%c+r t';
  assert.equal(basicCredentials(id, secret, 'minimal'), `Basic ${b64('edge.gw-1_~:s:e%25c%2Br t')}`);
  assert.equal(basicCredentials(id, secret, 'raw'), `Basic ${b64('edge.gw-1_~:s:e%c+r t')}`);
  assert.equal(basicCredentials('a:b', 'x', 'minimal'), `Basic ${b64('a%3Ab:x')}`, 'a colon in the id is encoded');
  assert.throws(() => basicCredentials('a:b', 'x', 'raw'), TypeError);
  // form is oauth4webapi's RFC 6749 §2.3.1 encoding, seen on the wire
  const headers = new Headers();
  await createClientAuth(id, { method: 'client_secret_basic', clientSecret: secret, encoding: 'form' })({ issuer: 'x' }, { client_id: id }, new URLSearchParams(), headers);
  assert.equal(headers.get('authorization'), `Basic ${b64('edge%2Egw%2D1%5F%7E:s%3Ae%25c%2Br+t')}`);
});

test('refusals of the edge\'s credentials (401/403, with or without a body) are 503s whose reason and cause name the HTTP status', async () => {
  const cases: [Handler, string, RegExp][] = [
    [(_q, s) => s.writeHead(401).end(), 'introspection_credentials_refused_http_401', /refused the edge's client credentials \(HTTP 401\)/],
    [(_q, s) => json(s, 401, { error: 'invalid_client' }), 'introspection_credentials_refused_http_401_invalid_client', /HTTP 401, invalid_client/],
    [(_q, s) => s.writeHead(401, { 'www-authenticate': 'Basic realm="x", error="invalid_client"', 'content-type': 'text/html' }).end('<h1>no</h1>'), 'introspection_credentials_refused_http_401_invalid_client', /HTTP 401, invalid_client/],
    [(_q, s) => s.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden'), 'introspection_credentials_refused_http_403', /HTTP 403\)/],
    [(_q, s) => json(s, 400, { error: 'made_up_error_with_a_long_name' }), 'introspection_refused_http_400', /introspection request \(HTTP 400, made_up/],
  ];
  for (const [answer, reason, message] of cases) {
    const as = await fakeAs({ '/.well-known/oauth-authorization-server': metadata(), '/introspect': answer });
    try {
      await assert.rejects(createAsClient(opts(as.base)).introspect('tok'), (e: unknown) =>
        isUnavailable(reason)(e) && message.test(((e as Error).cause as Error).message), reason);
    } finally { as.close(); }
  }
});

test('discovery: an issuer with a path (RFC 8414 inserts the well-known part; OpenID appends it); explicit endpoints skip discovery', async () => {
  const pathIssuer: Handler = (_q, s, base) => json(s, 200, { issuer: `${base}/realms/edge`, introspection_endpoint: `${base}/introspect` });
  const active: Handler = (_q, s) => json(s, 200, { active: true, scope: 'a' });
  const rfc8414 = await fakeAs({ '/.well-known/oauth-authorization-server/realms/edge': pathIssuer, '/introspect': active });
  const oidc = await fakeAs({ '/realms/edge/.well-known/openid-configuration': pathIssuer, '/introspect': active });
  const explicit = await fakeAs({ '/introspect': active });
  try {
    assert.equal((await createAsClient(opts(`${rfc8414.base}/realms/edge`)).introspect('t')).active, true);
    assert.equal((await createAsClient(opts(`${oidc.base}/realms/edge`)).introspect('t')).active, true);
    assert.deepEqual(oidc.seen.map((r) => r.url), ['/.well-known/oauth-authorization-server/realms/edge', '/realms/edge/.well-known/openid-configuration', '/introspect']);
    const client = createAsClient(opts(`${explicit.base}/realms/edge`, { endpoints: { introspection: `${explicit.base}/introspect` } }));
    assert.equal(client.discovered, true);
    assert.equal((await client.introspect('t')).active, true);
    assert.deepEqual(explicit.seen.map((r) => r.url), ['/introspect'], 'no discovery request');
    assert.match(explicit.seen[0]!.body, /token_type_hint=access_token/);
  } finally { rfc8414.close(); oidc.close(); explicit.close(); }
});

test('metadata is rediscovered after metadataRefreshSeconds, in the background; the new endpoint is used', async () => {
  let clock = 1_000_000;
  let endpoint = '/introspect';
  const active: Handler = (_q, s) => json(s, 200, { active: true });
  const as = await fakeAs({
    '/.well-known/oauth-authorization-server': (_q, s, base) => json(s, 200, { issuer: base, introspection_endpoint: `${base}${endpoint}` }),
    '/introspect': active, '/introspect-v2': active,
  });
  try {
    const client = createAsClient(opts(as.base, { metadataRefreshSeconds: 60, now: () => clock }));
    await client.introspect('t');
    endpoint = '/introspect-v2';
    clock += 59_000;
    await client.introspect('t');
    clock += 2_000;
    await client.introspect('t'); // starts the refresh, still served by the old metadata
    for (let i = 0; i < 100 && as.seen.filter((r) => r.url.startsWith('/.well-known')).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await client.introspect('t');
    assert.equal(as.seen.filter((r) => r.url.startsWith('/.well-known')).length, 2);
    assert.deepEqual(as.seen.filter((r) => r.url.startsWith('/introspect')).map((r) => r.url), ['/introspect', '/introspect', '/introspect', '/introspect-v2']);
  } finally { as.close(); }
});

test('RFC 9701: a signed answer is verified against the AS JWKS; a bad signature, or JSON where a JWT is required, is a 503', async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let signWith = privateKey;
  let plainJson = false;
  const real = await fakeAs({
    '/.well-known/oauth-authorization-server': (_q, s, base) => json(s, 200, { issuer: base, introspection_endpoint: `${base}/introspect`, jwks_uri: `${base}/jwks`, introspection_signing_alg_values_supported: ['RS256'] }),
    '/jwks': (_q, s) => json(s, 200, { keys: [jwk] }),
    '/introspect': async (_q, s, base) => {
      if (plainJson) { json(s, 200, { active: true }); return; }
      const jwt = await new SignJWT({ token_introspection: { active: true, scope: 'a b', sub: 'u1' } })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'token-introspection+jwt' })
        .setIssuer(base).setAudience('edge').setIssuedAt().sign(signWith);
      s.writeHead(200, { 'content-type': 'application/token-introspection+jwt' }).end(jwt);
    },
  });
  try {
    const auto = createAsClient(opts(real.base));
    assert.deepEqual(await auto.introspect('t'), { active: true, scope: 'a b', sub: 'u1' });
    assert.equal(real.seen.find((r) => r.url === '/introspect')!.accept, 'application/token-introspection+jwt', 'auto asks for a JWT the metadata offers');
    signWith = other.privateKey;
    await assert.rejects(auto.introspect('t'), isUnavailable('introspection_bad_jwt'));
    plainJson = true;
    await assert.rejects(createAsClient(opts(real.base, { jwtResponse: 'require' })).introspect('t'), isUnavailable('introspection_not_jwt'));
    assert.deepEqual(await createAsClient(opts(real.base, { jwtResponse: 'off' })).introspect('t'), { active: true });
    assert.equal(real.seen.at(-1)!.accept, 'application/json');
  } finally { real.close(); }
});

test('bearer: the edge gets its own token by client credentials, reuses it, renews it before expiry, and retries once on 401', async () => {
  let clock = 1_000_000;
  let issued = 0;
  const valid = new Set<string>();
  const as = await fakeAs({
    '/.well-known/oauth-authorization-server': metadata(),
    '/token': (q, s) => {
      if (q.headers.authorization !== `Basic ${b64('edge:s')}` || !/scope=introspect/.test(q.body)) { json(s, 401, { error: 'invalid_client' }); return; }
      const token = `edge-token-${++issued}`;
      valid.add(token);
      json(s, 200, { access_token: token, token_type: 'Bearer', expires_in: 600 });
    },
    '/introspect': (q, s) => {
      const sent = q.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (!valid.has(sent)) { s.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end(); return; }
      json(s, 200, { active: true, scope: 'a' });
    },
  });
  try {
    const tokens = createBearerToken({ clientId: 'edge', clientAuth: createClientAuth('edge', basicAuth), scope: 'introspect', renewBeforeSeconds: 60, timeoutMs: 1000, allowHttp: true, now: () => clock });
    const client = createAsClient(opts(as.base, { auth: { method: 'bearer', tokens } }));
    await Promise.all([client.introspect('t1'), client.introspect('t2'), client.introspect('t3')]);
    assert.equal(tokens.grants, 1, 'concurrent callers share one grant');
    clock += 541_000; // inside the renewal window: the current token serves while a new one is fetched
    await client.introspect('t4');
    for (let i = 0; i < 100 && issued < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(issued, 2);
    await client.introspect('t5');
    const bearers = as.seen.filter((r) => r.url === '/introspect').map((r) => r.auth);
    assert.deepEqual(bearers, ['Bearer edge-token-1', 'Bearer edge-token-1', 'Bearer edge-token-1', 'Bearer edge-token-1', 'Bearer edge-token-2']);
    valid.clear(); // the AS revoked the edge's token: one 401, a new token, one retry
    assert.equal((await client.introspect('t6')).active, true);
    assert.equal(issued, 3);
    const stubborn = await fakeAs({ '/.well-known/oauth-authorization-server': metadata(), '/token': (_q, s) => json(s, 200, { access_token: 'x', token_type: 'Bearer', expires_in: 600 }), '/introspect': (_q, s) => s.writeHead(401).end() });
    try {
      const once = createAsClient(opts(stubborn.base, { auth: { method: 'bearer', tokens: createBearerToken({ clientId: 'edge', clientAuth: createClientAuth('edge', basicAuth), scope: 'introspect', renewBeforeSeconds: 60, timeoutMs: 1000, allowHttp: true }) } }));
      await assert.rejects(once.introspect('t'), (e: unknown) => isUnavailable('introspection_credentials_refused_http_401')(e) && /edge's bearer token/.test(((e as Error).cause as Error).message));
      assert.equal(stubborn.seen.filter((r) => r.url === '/introspect').length, 2, 'exactly one retry');
    } finally { stubborn.close(); }
    const refused = createAsClient(opts(as.base, { auth: { method: 'bearer', tokens: createBearerToken({ clientId: 'edge', clientAuth: createClientAuth('edge', { ...basicAuth, clientSecret: 'wrong' }), scope: 'introspect', renewBeforeSeconds: 60, timeoutMs: 1000, allowHttp: true }) } }));
    await assert.rejects(refused.introspect('t'), isUnavailable('bearer_token_refused_http_401'));
  } finally { as.close(); }
});
