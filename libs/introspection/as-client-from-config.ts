import type { EdgeConfig } from '../config/index.js';
import { createAsClient, type AsClient } from './as-client.js';
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
  }
}

/** The AS client for the edge's validated `authorizationServer` section (the private key loaded by the caller). */
export function createAsClientFromConfig(as: AsSection, privateKey?: { key: CryptoKey; kid: string }): AsClient {
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
  });
}
