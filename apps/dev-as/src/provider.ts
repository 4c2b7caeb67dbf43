/**
 * The development Authorization Server: a real oidc-provider with client
 * credentials, introspection, revocation and resource indicators enabled.
 * Used by the demo and the end-to-end tests; never in production.
 */
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';
import { MapAdapter } from './map-adapter.js';
import { registerJwtAccessTokens } from './jwt-token-registry.js';
import { certificateAuthorized, certificateSubjectMatches, getCertificate } from './client-certificate.js';

export const DEMO_SCOPES = [
  'orders:read', 'orders:write', 'orders:admin', 'inventory:read', 'inventory:write',
] as const;

/** The scope an introspection caller needs at the bearer-authenticated RFC 7662 endpoint of the tests. */
export const INTROSPECTION_SCOPE = 'introspection';

/** A client id and secret with every character that tells the client_secret_basic encodings apart. */
export const AWKWARD_CLIENT = { client_id: 'edge.gw-1_~', client_secret: 's:e%c+r t' } as const;
export { DEV_CLIENT_CERT_HEADER } from './client-certificate.js';

/** The resource indicator (RFC 8707) the edge may require in a token's `aud`. */
export const EDGE_RESOURCE = 'urn:phantom:edge';

/** A resource whose access tokens are RFC 9068 JWTs (for the edge's jwtAccessTokens mode). */
export const EDGE_JWT_RESOURCE = 'urn:phantom:edge-jwt';

export interface DevClient {
  client_id: string;
  client_secret: string;
  scope?: string;
  /** access token lifetime in seconds (default 3600) */
  tokenTtl?: number;
}

export const DEFAULT_CLIENTS: DevClient[] = [
  { client_id: 'demo-app', client_secret: 'demo-secret', scope: DEMO_SCOPES.join(' ') },
  // a client whose tokens expire quickly: used to test expiry while cached
  { client_id: 'short-lived', client_secret: 'short-secret', scope: DEMO_SCOPES.join(' '), tokenTtl: 3 },
  // the edge authenticates with these credentials at the introspection endpoint
  { client_id: 'edge-gateway', client_secret: 'edge-secret' },
  // client_secret_basic encodings (README "Authorization Servers")
  { ...AWKWARD_CLIENT },
  // the edge's own tokens for bearer-authenticated introspection
  { client_id: 'edge-bearer', client_secret: 'edge-bearer-secret', scope: INTROSPECTION_SCOPE },
];

export interface DevProviderOptions {
  issuer: string;
  clients?: DevClient[];
  /** public JWKs of clients that authenticate with private_key_jwt, by client_id */
  privateKeyJwtClients?: Record<string, { keys: object[] }>;
  /** RFC 9701: answer introspection with a signed JWT when asked (Accept: application/token-introspection+jwt) */
  jwtIntrospection?: boolean;
  /** introspection and revocation of its own JWT access tokens (see jwt-token-registry.ts) */
  introspectJwtAccessTokens?: boolean;
  /** RFC 8705 §2.1 clients (served over HTTPS with a client CA): client_id → the SAN DNS name their certificate must carry */
  tlsClients?: Record<string, string>;
  /** RFC 8705 §2.2 clients: client_id → their self-signed certificate (PEM), registered as a JWK with x5c */
  selfSignedTlsClients?: Record<string, { keys: object[] }>;
}

export async function createDevProvider(options: DevProviderOptions): Promise<Provider> {
  const clients = options.clients ?? DEFAULT_CLIENTS;
  const ttlByClient = new Map(clients.map((c) => [c.client_id, c.tokenTtl ?? 3600]));
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: 'dev-as-1', use: 'sig', alg: 'RS256' };

  const clientMetadata = [
    ...clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(c.scope ? { scope: c.scope } : {}),
    })),
    // RFC 8705 §3: its tokens are bound to the client certificate it presents at the token endpoint
    { client_id: 'bound-app', client_secret: 'bound-secret', grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic', scope: DEMO_SCOPES.join(' '), tls_client_certificate_bound_access_tokens: true },
    // the same edge client, but authenticating with client_secret_post
    { client_id: 'edge-gateway-post', client_secret: 'edge-secret', grant_types: ['client_credentials'],
      response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post' },
    ...Object.entries(options.tlsClients ?? {}).map(([clientId, dns]) => ({
      client_id: clientId, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: dns,
    })),
    ...Object.entries(options.selfSignedTlsClients ?? {}).map(([clientId, jwks]) => ({
      client_id: clientId, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks,
    })),
    ...Object.entries(options.privateKeyJwtClients ?? {}).map(([clientId, jwks]) => ({
      client_id: clientId, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks,
    })),
  ];

  const provider = new Provider(options.issuer, {
    adapter: MapAdapter,
    clients: clientMetadata,
    scopes: [...DEMO_SCOPES, INTROSPECTION_SCOPE],
    jwks: { keys: [signingJwk] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'],
    cookies: { keys: ['dev-as-cookie-key-not-a-secret'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // any confidential client may introspect (the edge authenticates as one)
      introspection: { enabled: true, allowedPolicy: (_ctx: unknown, client: { clientAuthMethod: string }) => client.clientAuthMethod !== 'none' },
      // RFC 9701 (--jwt-introspection): signed answers to callers that ask for them
      jwtIntrospection: { enabled: options.jwtIntrospection === true },
      revocation: { enabled: true },
      // RFC 8705: certificate-bound tokens and client authentication by certificate. Over HTTPS (--tls-cert) the
      // handshake's certificate; over plain HTTP the one a TLS-terminating proxy forwards (see client-certificate.ts)
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate,
        certificateAuthorized,
        certificateSubjectMatches,
      },
      // RFC 9449: a client that sends a DPoP proof to the token endpoint gets a DPoP-bound token (cnf.jkt)
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource === EDGE_JWT_RESOURCE) return { scope: DEMO_SCOPES.join(' '), accessTokenFormat: 'jwt', audience: EDGE_JWT_RESOURCE, jwt: { sign: { alg: 'RS256' } } };
          if (resource !== EDGE_RESOURCE) throw new Error('unknown resource');
          return { scope: DEMO_SCOPES.join(' '), accessTokenFormat: 'opaque', audience: EDGE_RESOURCE };
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        ttlByClient.get(client.clientId) ?? 3600,
    },
  } as unknown as ConstructorParameters<typeof Provider>[1]);
  if (options.introspectJwtAccessTokens) registerJwtAccessTokens(provider, publicKey, options.issuer);
  return provider;
}
