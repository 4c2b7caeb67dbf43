import * as oauth from 'oauth4webapi';
import { GatewayError } from '../errors/index.js';
import { createSingleFlight } from '../cache/index.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface AsClientOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  clientAuth: ClientAuthMethod;
  /** for private_key_jwt */
  privateKey?: { key: CryptoKey; kid: string } | undefined;
  timeoutMs: number;
  allowHttp: boolean;
}

type CryptoKey = import('jose').CryptoKey;

/** The one failure mode the edge shows a client for an AS problem: 503, retry soon. */
export function asUnavailable(reason: string, cause?: unknown): GatewayError {
  return new GatewayError('authorization_server_unavailable', undefined, { retryAfter: 2, reason, cause });
}

export interface AsClient {
  /** RFC 8414 metadata, then OpenID discovery; cached after the first success */
  discover(): Promise<oauth.AuthorizationServer>;
  /** one RFC 7662 call; network, timeout, 5xx or malformed answers → 503 GatewayError */
  introspect(token: string): Promise<oauth.IntrospectionResponse>;
  readonly discovered: boolean;
}

export function createAsClient(options: AsClientOptions): AsClient {
  const issuer = new URL(options.issuer);
  const client: oauth.Client = { client_id: options.clientId };
  const clientAuth = options.clientAuth === 'private_key_jwt'
    ? oauth.PrivateKeyJwt(options.privateKey!)
    : options.clientAuth === 'client_secret_post'
      ? oauth.ClientSecretPost(options.clientSecret!)
      : oauth.ClientSecretBasic(options.clientSecret!);
  const http = () => ({
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(options.allowHttp ? { [oauth.allowInsecureRequests]: true } : {}),
  });
  let metadata: oauth.AuthorizationServer | undefined;
  const flight = createSingleFlight<oauth.AuthorizationServer>();

  async function discoverOnce(): Promise<oauth.AuthorizationServer> {
    let lastError: unknown;
    for (const algorithm of ['oauth2', 'oidc'] as const) {
      try {
        const response = await oauth.discoveryRequest(issuer, { ...http(), algorithm });
        const as = await oauth.processDiscoveryResponse(issuer, response);
        if (!as.introspection_endpoint) throw new Error('the AS metadata has no introspection_endpoint');
        return as;
      } catch (err) {
        lastError = err;
      }
    }
    throw asUnavailable('discovery_failed', lastError);
  }

  return {
    get discovered() { return metadata !== undefined; },
    async discover() {
      if (metadata) return metadata;
      metadata = await flight.run('discovery', discoverOnce).promise;
      return metadata;
    },
    async introspect(token) {
      const as = await this.discover();
      let response: Response;
      try {
        response = await oauth.introspectionRequest(as, client, clientAuth, token, {
          ...http(), additionalParameters: { token_type_hint: 'access_token' },
        });
      } catch (err) {
        throw asUnavailable((err as Error).name === 'TimeoutError' ? 'introspection_timeout' : 'introspection_unreachable', err);
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        throw asUnavailable(`introspection_http_${response.status}`);
      }
      try {
        return await oauth.processIntrospectionResponse(as, client, response);
      } catch (err) {
        // a 4xx (our credentials refused) or a body that is not an introspection response:
        // we could not check the token, so this is never a 401 for the client
        const refusedWith = err instanceof oauth.ResponseBodyError ? err.error
          : err instanceof oauth.WWWAuthenticateChallengeError ? (err.cause[0]?.parameters.error ?? `http_${err.status}`)
            : undefined;
        const reason = refusedWith ? `introspection_refused_${refusedWith}` : 'introspection_bad_response';
        throw asUnavailable(reason.replace(/[^a-z0-9_]/gi, '_').slice(0, 64), err);
      }
    },
  };
}
