import * as oauth from 'oauth4webapi';
import { GatewayError } from '../errors/index.js';
import { createSingleFlight } from '../cache/index.js';
import type { Dispatcher } from 'undici';
import { bearerAuth, createClientAuth, fixedCredentials, type BearerTokenSource, type ClientAuthConfig } from './client-auth.js';
import { createDirectIntrospection, type DirectAnswer } from './direct-introspection.js';
import { BearerTokenError } from './bearer-token.js';
import { MalformedIntrospectionError, normalizeIntrospection, type ResponseTolerance } from './normalize-response.js';
import { describeRefusal } from './describe-refusal.js';
import { leanFetch } from '../proxy/index.js';

/** `auto`: ask for a signed JWT answer (RFC 9701) when the AS metadata offers one; `require`: accept nothing else. */
export type JwtResponseMode = 'auto' | 'require' | 'off';

export interface AsClientOptions {
  issuer: string;
  clientId: string;
  auth: ClientAuthConfig;
  /** explicit endpoints: no discovery at all (introspection required, the others when a feature needs them) */
  endpoints?: { introspection: string; token?: string | undefined; jwks?: string | undefined } | undefined;
  /** rediscover the metadata this often (in the background; the last good metadata serves meanwhile); 0 = never */
  metadataRefreshSeconds?: number;
  jwtResponse?: JwtResponseMode;
  tolerance?: ResponseTolerance;
  timeoutMs: number;
  allowHttp: boolean;
  /** every call to the AS goes through this (an undici Agent with the AS's CA and the edge's client certificate) */
  fetch?: FetchLike | undefined;
  /** introspection calls only, instead of `fetch` (a custom one turns the direct call off unless `introspectionDispatcher` is given); default: `fetch`, else the lean fetch (libs/proxy/lean-fetch.ts) on the global pool */
  introspectionFetch?: FetchLike | undefined;
  /** the pool `fetch` uses (the AS's TLS client pool), for the direct call (direct-introspection.ts) */
  introspectionDispatcher?: Dispatcher | undefined;
  now?: () => number;
}

/** a fetch for calls to the AS: oauth4webapi's customFetch hook, and the JWKS cache's */
export type FetchLike = (url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal; redirect?: string }) => Promise<Response>;

/** a TLS client-auth method: the certificate is the credential (RFC 8705 §2) */
const isTlsAuth = (method: string) => method === 'tls_client_auth' || method === 'self_signed_tls_client_auth';

/**
 * why an introspection call failed on the way: timed out, an answer over the AS pool's size bound (on the wire or
 * decoded), an answer in a content coding that could not be undone (libs/proxy/decode-answer.ts), or no answer
 */
function callFailure(err: unknown): string {
  if ((err as Error).name === 'TimeoutError') return 'introspection_timeout';
  // undici's maxResponseSize on the AS's pool (as-client-from-config.ts); a fetch would wrap it in a TypeError
  const code = (err as { code?: string }).code ?? ((err as { cause?: { code?: string } }).cause?.code);
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'introspection_too_large';
  return code === 'BAD_CONTENT_ENCODING' || code === 'UNSUPPORTED_CONTENT_ENCODING' ? 'introspection_bad_response' : 'introspection_unreachable';
}

/** an answer that failed to parse loses its JSON SyntaxError: that message quotes the answer, which a broken AS may fill with the token */
const unquoted = (err: unknown): unknown => ((err as { cause?: unknown } | undefined)?.cause instanceof SyntaxError ? new Error((err as Error).message) : err);

/** The one failure mode the edge shows a client for an AS problem: 503, retry soon. */
export function asUnavailable(reason: string, cause?: unknown): GatewayError {
  return new GatewayError('authorization_server_unavailable', undefined, { retryAfter: 2, reason, cause });
}

export interface AsClient {
  /** explicit endpoints, or RFC 8414 metadata then OpenID discovery; cached, refreshed in the background */
  discover(): Promise<oauth.AuthorizationServer>;
  /** one RFC 7662 call; network, timeout, 5xx, refused or malformed answers → 503 GatewayError */
  introspect(token: string): Promise<oauth.IntrospectionResponse>;
  readonly discovered: boolean;
}

const STRICT: ResponseTolerance = { scopeArray: false, spaceSeparatedAudience: false };

export function createAsClient(options: AsClientOptions): AsClient {
  const issuer = new URL(options.issuer);
  const now = options.now ?? Date.now;
  // RFC 8705 §5: with a certificate as the credential, the AS's mtls_endpoint_aliases are used when it publishes them
  const client: oauth.Client = { client_id: options.clientId, ...(isTlsAuth(options.auth.method) ? { use_mtls_endpoint_aliases: true } : {}) };
  const bearer: BearerTokenSource | undefined = options.auth.method === 'bearer' ? options.auth.tokens : undefined;
  const clientAuth = bearer ? undefined : createClientAuth(options.clientId, options.auth);
  const jwtMode = options.jwtResponse ?? 'auto';
  const tolerance = options.tolerance ?? STRICT;
  const refreshMs = (options.metadataRefreshSeconds ?? 0) * 1000;
  const http = () => ({
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(options.allowHttp ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
  });
  let metadata: oauth.AuthorizationServer | undefined = options.endpoints && {
    issuer: options.issuer,
    introspection_endpoint: options.endpoints.introspection,
    ...(options.endpoints.token ? { token_endpoint: options.endpoints.token } : {}),
    ...(options.endpoints.jwks ? { jwks_uri: options.endpoints.jwks } : {}),
  };
  let fetchedAt = now();
  const flight = createSingleFlight<oauth.AuthorizationServer>();
  // the direct call (no WHATWG objects) when the credentials are fixed and no custom fetch replaces the pool
  const fixed = bearer ? undefined : fixedCredentials(options.clientId, options.auth);
  const directAllowed = fixed !== undefined && ((!options.fetch && !options.introspectionFetch) || options.introspectionDispatcher !== undefined);
  const directs = new WeakMap<oauth.AuthorizationServer, ((token: string) => Promise<DirectAnswer>) | null>();
  const wantsJwt = (as: oauth.AuthorizationServer) => jwtMode === 'require' || (jwtMode === 'auto' && (as.introspection_signing_alg_values_supported?.length ?? 0) > 0);

  /** the direct call for this metadata: a plain JSON answer asked of a usable endpoint; else none (oauth4webapi's path) */
  function directFor(as: oauth.AuthorizationServer): ((token: string) => Promise<DirectAnswer>) | undefined {
    if (!directAllowed) return undefined;
    let direct = directs.get(as);
    if (direct === undefined) {
      const aliased = client.use_mtls_endpoint_aliases ? as.mtls_endpoint_aliases?.introspection_endpoint : undefined;
      const url = aliased ?? as.introspection_endpoint;
      const usable = !wantsJwt(as) && typeof url === 'string' && (url.startsWith('https://') || (options.allowHttp && url.startsWith('http://')));
      direct = usable
        ? createDirectIntrospection({
          url, timeoutMs: options.timeoutMs, dispatcher: options.introspectionDispatcher, params: `&token_type_hint=access_token${fixed!.params}`,
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', ...(fixed!.header ? { authorization: fixed!.header } : {}) },
        })
        : null;
      directs.set(as, direct);
    }
    return direct ?? undefined;
  }

  /** oauth4webapi's checks of a JSON answer (a top-level object whose `active` is a boolean), then the edge's own */
  function accepted(json: unknown): oauth.IntrospectionResponse {
    if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as { active?: unknown }).active !== 'boolean') {
      throw asUnavailable('introspection_bad_response', new Error('the introspection answer is not a JSON object with a boolean "active"'));
    }
    try {
      return normalizeIntrospection(json as oauth.IntrospectionResponse, tolerance);
    } catch (err) {
      throw asUnavailable(err instanceof MalformedIntrospectionError ? err.reason : 'introspection_bad_response', err);
    }
  }

  async function discoverOnce(): Promise<oauth.AuthorizationServer> {
    let lastError: unknown;
    for (const algorithm of ['oauth2', 'oidc'] as const) {
      try {
        const response = await oauth.discoveryRequest(issuer, { ...http(), algorithm });
        const as = await oauth.processDiscoveryResponse(issuer, response);
        if (!as.introspection_endpoint) throw new Error('the AS metadata has no introspection_endpoint');
        metadata = as;
        fetchedAt = now();
        return as;
      } catch (err) {
        lastError = err;
      }
    }
    throw asUnavailable('discovery_failed', lastError);
  }

  async function send(as: oauth.AuthorizationServer, token: string, auth: oauth.ClientAuth): Promise<Response> {
    try {
      return await oauth.introspectionRequest(as, client, auth, token, {
        ...http(), [oauth.customFetch]: (options.introspectionFetch ?? options.fetch ?? leanFetch) as typeof fetch, additionalParameters: { token_type_hint: 'access_token' },
        requestJwtResponse: jwtMode === 'require' || (jwtMode === 'auto' && (as.introspection_signing_alg_values_supported?.length ?? 0) > 0),
      });
    } catch (err) {
      throw asUnavailable(callFailure(err), err);
    }
  }

  async function bearerToken(as: oauth.AuthorizationServer): Promise<string> {
    try {
      return await bearer!.get(as);
    } catch (err) {
      const status = err instanceof BearerTokenError ? err.status : undefined;
      throw asUnavailable(status === undefined ? 'bearer_token_unavailable' : `bearer_token_refused_http_${status}`, err);
    }
  }

  async function read(as: oauth.AuthorizationServer, response: Response): Promise<oauth.IntrospectionResponse> {
    const isJwt = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() === 'application/token-introspection+jwt';
    if (jwtMode === 'require' && !isJwt) {
      await response.body?.cancel();
      throw asUnavailable('introspection_not_jwt', new Error('the introspection answer is not a signed JWT (authorizationServer.jwtResponse is require)'));
    }
    let json: oauth.IntrospectionResponse;
    try {
      json = await oauth.processIntrospectionResponse(as, client, response);
      // processIntrospectionResponse checks the JWT's claims; the signature is checked here, against the AS's jwks_uri
      if (isJwt) await oauth.validateApplicationLevelSignature(as, response, http());
    } catch (err) {
      throw asUnavailable(isJwt ? 'introspection_bad_jwt' : 'introspection_bad_response', unquoted(err));
    }
    try {
      return normalizeIntrospection(json, tolerance);
    } catch (err) {
      throw asUnavailable(err instanceof MalformedIntrospectionError ? err.reason : 'introspection_bad_response', err);
    }
  }

  return {
    get discovered() { return metadata !== undefined; },
    async discover() {
      if (!metadata) return flight.run('discovery', discoverOnce).promise;
      if (refreshMs > 0 && !options.endpoints && now() - fetchedAt >= refreshMs) {
        fetchedAt = now(); // one refresh at a time; a failed one waits for the next period
        flight.run('discovery', discoverOnce).promise.catch(() => undefined);
      }
      return metadata;
    },
    async introspect(token) {
      const as = await this.discover();
      const direct = directFor(as);
      let sent: string | undefined;
      let response: Response;
      if (direct) {
        const answer = await direct(token).catch((err: unknown) => {
          throw asUnavailable(callFailure(err), err);
        });
        if ('json' in answer) return accepted(answer.json);
        response = answer.response; // a JWT answer or an error status: the general checks below
      } else {
        sent = bearer ? await bearerToken(as) : undefined;
        response = await send(as, token, sent === undefined ? clientAuth! : bearerAuth(sent));
      }
      if (response.status === 401 && sent !== undefined) {
        // our token may have been revoked or expired early: one new token, one retry
        await response.body?.cancel();
        bearer!.invalidate(sent);
        sent = await bearerToken(as);
        response = await send(as, token, bearerAuth(sent));
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        throw asUnavailable(`introspection_http_${response.status}`);
      }
      if (response.status !== 200) {
        // the AS refused us, not the client's token: we could not check it, so this is never a 401 for the client
        const refusal = await describeRefusal(response, sent !== undefined ? 'bearer token' : isTlsAuth(options.auth.method) ? 'client certificate' : 'client credentials', token);
        throw asUnavailable(refusal.reason, new Error(refusal.message));
      }
      return read(as, response);
    },
  };
}
