import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, edgeConfigSchema, parseConfig } from './index.js';

const base = {
  issuer: 'https://edge.example',
  keys: { signing: [{ file: '/keys/a.pem' }] },
  audiences: { orders: {} },
  routes: [{ name: 'orders', pathPrefix: '/orders', upstream: 'http://micro:1', audience: 'orders' }],
};
const edge = (as: Record<string, unknown>) => parseConfig('edge.yaml', { ...base, authorizationServer: { issuer: 'https://as.example', clientId: 'edge', ...as } }, edgeConfigSchema);
const problems = (as: Record<string, unknown>) => {
  let caught: ConfigError | undefined;
  assert.throws(() => edge(as), (e: unknown) => { caught = e as ConfigError; return e instanceof ConfigError; });
  return caught!.problems;
};

test('authorizationServer defaults: basic with the minimal encoding, discovery refreshed hourly, RFC 9701 auto, strict answer shapes', () => {
  const { authorizationServer: as } = edge({ clientSecret: 's' });
  assert.equal(as.clientAuth, 'client_secret_basic');
  assert.equal(as.clientSecretBasic.encoding, 'minimal');
  assert.equal(as.metadataRefreshSeconds, 3600);
  assert.equal(as.jwtResponse, 'auto');
  assert.deepEqual(as.tolerate, { scopeArray: false, spaceSeparatedAudience: false });
  assert.equal(as.introspectionEndpoint, undefined);
  assert.equal(as.jwtAccessTokens.enabled, false, 'the default stays "introspect everything"');
});

test('authorizationServer mistakes name the field', () => {
  assert.deepEqual(problems({ clientAuth: 'bearer', clientSecret: 's' }), ['authorizationServer.bearer: required for clientAuth bearer (at least bearer.scope)']);
  assert.deepEqual(problems({ clientAuth: 'bearer', bearer: { scope: 'introspect' } }), ['authorizationServer.clientSecret: required for bearer.tokenEndpointAuth client_secret_basic']);
  assert.deepEqual(problems({ clientAuth: 'bearer', clientSecret: 's', bearer: { scope: 'i' }, introspectionEndpoint: 'https://as.example/introspect' }),
    ['authorizationServer.tokenEndpoint: required for clientAuth bearer when introspectionEndpoint skips discovery']);
  assert.deepEqual(problems({ clientSecret: 's', jwtResponse: 'require', introspectionEndpoint: 'https://as.example/introspect' }),
    ['authorizationServer.jwksUri: required for jwtResponse require when introspectionEndpoint skips discovery']);
  assert.deepEqual(problems({ clientId: 'a:b', clientSecret: 's', clientSecretBasic: { encoding: 'raw' } }),
    ['authorizationServer.clientSecretBasic.encoding: raw cannot send a client id that contains ":"; use minimal or form']);
  assert.deepEqual(problems({ clientSecret: 's', jwtAccessTokens: { enabled: true } }),
    ['authorizationServer.requiredAudience: required for jwtAccessTokens (the `aud` a JWT access token must carry, RFC 9068)']);
});

test('routes[].introspectJwtAccessTokens needs jwtAccessTokens introspect per-route (else it would be ignored)', () => {
  const withRoute = (jwt: Record<string, unknown>) => () => parseConfig('edge.yaml', {
    ...base, routes: [{ ...base.routes[0], introspectJwtAccessTokens: true }],
    authorizationServer: { issuer: 'https://as.example', clientId: 'edge', clientSecret: 's', requiredAudience: 'urn:edge', jwtAccessTokens: jwt },
  }, edgeConfigSchema);
  for (const jwt of [{ enabled: true, introspect: 'never' }, { enabled: true, introspect: 'always' }, { enabled: false, introspect: 'per-route' }]) {
    assert.throws(withRoute(jwt), (e: unknown) => e instanceof ConfigError
      && e.problems.join() === 'routes[0].introspectJwtAccessTokens: only used with authorizationServer.jwtAccessTokens enabled and introspect: per-route', JSON.stringify(jwt));
  }
  const config = withRoute({ enabled: true, introspect: 'per-route' })();
  assert.equal(config.routes[0]!.introspectJwtAccessTokens, true);
  assert.equal(config.authorizationServer.jwtAccessTokens.introspect, 'per-route');
});

test('tls_client_auth / self_signed_tls_client_auth need tls.certFile (the credential), no client secret; tls needs an https AS', () => {
  for (const clientAuth of ['tls_client_auth', 'self_signed_tls_client_auth']) {
    assert.deepEqual(problems({ issuer: 'https://as.example', clientAuth }), [`authorizationServer.tls.certFile: required for clientAuth ${clientAuth} (the client certificate, with keyFile)`]);
    const { authorizationServer: as } = edge({ clientAuth, tls: { caFile: 'ca.pem', certFile: 'edge.pem', keyFile: 'edge.key' } });
    assert.equal(as.clientAuth, clientAuth);
    assert.equal(as.clientSecret, undefined);
  }
  assert.deepEqual(problems({ issuer: 'http://as.example', clientSecret: 's', allowHttp: true, tls: { caFile: 'ca.pem' } }), ['authorizationServer.tls: only used with an https issuer or introspectionEndpoint']);
  assert.deepEqual(problems({ clientAuth: 'bearer', bearer: { scope: 'i', tokenEndpointAuth: 'tls_client_auth' } }),
    ['authorizationServer.tls.certFile: required for bearer.tokenEndpointAuth tls_client_auth (the client certificate, with keyFile)']);
});
