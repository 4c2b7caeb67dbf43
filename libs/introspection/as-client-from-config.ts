import { Agent } from 'undici';
import type { EdgeConfig } from '../config/index.js';
import { createLeanFetch, MAX_DECODED_BYTES, upstreamTlsOptions } from '../proxy/index.js';
import { createAsClient, type AsClient, type FetchLike } from './as-client.js';
import { createBearerToken } from './bearer-token.js';
import { createClientAuth, type ClientAuthConfig } from './client-auth.js';

type CryptoKey = import('jose').CryptoKey;
type AsSection = EdgeConfig['authorizationServer'];
type SecretMethod = Exclude<ClientAuthConfig['method'], 'bearer'>;

function secretAuth(as: AsSection, method: SecretMethod, privateKey: { key: CryptoKey; kid: string } | undefined): Exclude<ClientAuthConfig, { method: 'bearer' }> {
  switch (method) {
    case 'client_secret_basic': return { method, clientSecret: as.clientSecret!, encoding: as.clientSecretBasic.encoding };
    case 'client_secret_post': return { method, clientSecret: as.clientSecret! };
    case 'private_key_jwt': return { method, privateKey: privateKey! };
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth': return { method };
  }
}

/** The largest answer the edge reads from the AS (discovery, introspection, JWKS): an introspection answer is a few hundred bytes */
export const AS_MAX_RESPONSE_BYTES = MAX_DECODED_BYTES;

/**
 * Every call to the AS (discovery, introspection, the token endpoint, RFC 9701
 * keys, the JWKS of JWT access tokens) through one lean fetch (libs/proxy/lean-fetch.ts)
 * on one connection pool whose answers are bounded (undici's
 * `maxResponseSize`: a larger body fails the call, answered 503 like an AS
 * that cannot be reached, instead of being held in memory whole; a
 * compressed one is bounded by its decoded size too) and, with
 * `authorizationServer.tls`, that trusts the configured CA and presents the
 * edge's client certificate — the credential of tls_client_auth /
 * self_signed_tls_client_auth (RFC 8705 §2).
 */
const fetches = new WeakMap<AsSection, { fetch: FetchLike; dispatcher: Agent }>();
function asFetches(as: AsSection): { fetch: FetchLike; dispatcher: Agent } {
  let both = fetches.get(as);
  if (!both) {
    const dispatcher = new Agent({ maxResponseSize: AS_MAX_RESPONSE_BYTES, ...(as.tls ? { connect: upstreamTlsOptions(as.tls, 'authorizationServer.tls') } : {}) });
    both = { fetch: createLeanFetch({ dispatcher, maxDecodedBytes: AS_MAX_RESPONSE_BYTES }) as FetchLike, dispatcher };
    fetches.set(as, both);
  }
  return both;
}
export const asFetch = (as: AsSection): FetchLike => asFetches(as).fetch;

/** The AS client for the edge's validated `authorizationServer` section (the private key loaded by the caller). */
export function createAsClientFromConfig(as: AsSection, privateKey?: { key: CryptoKey; kid: string }): AsClient {
  const { fetch, dispatcher: introspectionDispatcher } = asFetches(as);
  let auth: ClientAuthConfig;
  if (as.clientAuth === 'bearer') {
    const bearer = as.bearer!;
    auth = {
      method: 'bearer',
      tokens: createBearerToken({
        clientId: as.clientId,
        clientAuth: createClientAuth(as.clientId, secretAuth(as, bearer.tokenEndpointAuth, privateKey)),
        scope: bearer.scope,
        renewBeforeSeconds: bearer.renewBeforeSeconds,
        timeoutMs: as.timeoutMs,
        allowHttp: as.allowHttp,
        fetch,
        mtlsAliases: bearer.tokenEndpointAuth === 'tls_client_auth' || bearer.tokenEndpointAuth === 'self_signed_tls_client_auth',
      }),
    };
  } else {
    auth = secretAuth(as, as.clientAuth, privateKey);
  }
  return createAsClient({
    issuer: as.issuer,
    clientId: as.clientId,
    auth,
    endpoints: as.introspectionEndpoint ? { introspection: as.introspectionEndpoint, token: as.tokenEndpoint, jwks: as.jwksUri } : undefined,
    metadataRefreshSeconds: as.metadataRefreshSeconds,
    jwtResponse: as.jwtResponse,
    tolerance: as.tolerate,
    timeoutMs: as.timeoutMs,
    allowHttp: as.allowHttp,
    fetch,
    introspectionDispatcher,
  });
}
