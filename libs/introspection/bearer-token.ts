import * as oauth from 'oauth4webapi';
import { createSingleFlight } from '../cache/index.js';
import type { BearerTokenSource } from './client-auth.js';

export interface BearerTokenOptions {
  clientId: string;
  /** how the edge authenticates at the token endpoint (client_secret_basic/post, private_key_jwt) */
  clientAuth: oauth.ClientAuth;
  /** the scope the AS requires of introspection callers */
  scope: string;
  /** renew this many seconds before the token expires */
  renewBeforeSeconds: number;
  /** used when the token response has no expires_in */
  defaultLifetimeSeconds?: number;
  timeoutMs: number;
  /** allow a plain-http token endpoint (development only) */
  allowHttp: boolean;
  /** the AS client's fetch (TLS options, client certificate) */
  fetch?: import('./as-client.js').FetchLike | undefined;
  /** the edge authenticates with its certificate at the token endpoint (RFC 8705 §5: mtls_endpoint_aliases) */
  mtlsAliases?: boolean;
  now?: () => number;
}

/** Thrown when the token endpoint refuses or fails; the AS client maps it to a 503. */
export class BearerTokenError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BearerTokenError';
    this.status = status;
  }
}

/**
 * The edge's own access token for `bearer` introspection: obtained by the
 * client credentials grant, cached, renewed in the background from
 * `renewBeforeSeconds` before it expires (callers share one grant), and
 * dropped when the AS answers 401 to it.
 */
export function createBearerToken(options: BearerTokenOptions): BearerTokenSource & { readonly grants: number } {
  const now = options.now ?? Date.now;
  const client: oauth.Client = { client_id: options.clientId, ...(options.mtlsAliases ? { use_mtls_endpoint_aliases: true } : {}) };
  const flight = createSingleFlight<string>();
  let current: { token: string; renewAt: number; expiresAt: number } | undefined;
  let grants = 0;

  async function obtain(as: oauth.AuthorizationServer): Promise<string> {
    grants++;
    let response: Response;
    try {
      response = await oauth.clientCredentialsGrantRequest(as, client, options.clientAuth, new URLSearchParams({ scope: options.scope }), {
        signal: AbortSignal.timeout(options.timeoutMs),
        ...(options.allowHttp ? { [oauth.allowInsecureRequests]: true } : {}),
        ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
      });
    } catch (err) {
      throw new BearerTokenError('the token endpoint could not be reached', undefined, err);
    }
    try {
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      const lifetime = result.expires_in ?? options.defaultLifetimeSeconds ?? 300;
      const at = now();
      current = { token: result.access_token, renewAt: at + Math.max(lifetime / 2, lifetime - options.renewBeforeSeconds) * 1000, expiresAt: at + lifetime * 1000 };
      return result.access_token;
    } catch (err) {
      const error = err instanceof oauth.ResponseBodyError ? ` (${err.error})` : '';
      throw new BearerTokenError(`the token endpoint refused the edge's client credentials grant: HTTP ${response.status}${error}`, response.status, err);
    }
  }

  return {
    get grants() { return grants; },
    async get(as) {
      const at = now();
      if (current && at < current.renewAt) return current.token;
      const renewal = flight.run('token', () => obtain(as)).promise;
      // inside the renewal window the current token still serves; the renewal runs behind it
      if (current && at < current.expiresAt) { renewal.catch(() => undefined); return current.token; }
      return renewal;
    },
    invalidate(token) {
      if (current?.token === token) current = undefined;
    },
  };
}
