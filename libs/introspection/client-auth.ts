import * as oauth from 'oauth4webapi';

type CryptoKey = import('jose').CryptoKey;

/**
 * How `client_secret_basic` encodes the id and secret before Base64:
 * - `form`: RFC 6749 §2.3.1 (application/x-www-form-urlencoded; `edge-gateway` goes out as `edge%2Dgateway`),
 * - `minimal` (default): only what a form-decoding server would otherwise misread (`%`, `+`, and `:` in the id);
 *   compliant servers decode it to the same credentials, and servers that compare raw credentials accept it
 *   whenever the id and secret have none of those characters,
 * - `raw`: no encoding at all (an id containing `:` cannot be sent this way).
 */
export type BasicEncoding = 'form' | 'minimal' | 'raw';

/** Where the edge's bearer token comes from in `bearer` mode (see createBearerToken). */
export interface BearerTokenSource {
  get(as: oauth.AuthorizationServer): Promise<string>;
  /** forget the cached token (the AS answered 401 to it) */
  invalidate(token: string): void;
}

/** One variant per method; a new method is one more variant and one more case. */
export type ClientAuthConfig =
  | { method: 'client_secret_basic'; clientSecret: string; encoding: BasicEncoding }
  | { method: 'client_secret_post'; clientSecret: string }
  | { method: 'private_key_jwt'; privateKey: { key: CryptoKey; kid: string } }
  | { method: 'bearer'; tokens: BearerTokenSource }
  /** RFC 8705 §2: the client certificate on the TLS connection authenticates (the caller's fetch presents it) */
  | { method: 'tls_client_auth' | 'self_signed_tls_client_auth' };

export type ClientAuthMethod = ClientAuthConfig['method'];

/** The `minimal` encoding of one credential (see BasicEncoding). */
export function minimalEncode(value: string, isId: boolean): string {
  return value.replace(isId ? /[%+:]/g : /[%+]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The `Authorization: Basic …` value for a client id and secret in the given encoding. */
export function basicCredentials(clientId: string, clientSecret: string, encoding: Exclude<BasicEncoding, 'form'>): string {
  if (encoding === 'raw' && clientId.includes(':')) throw new TypeError('a client id containing ":" cannot be sent with the raw encoding');
  const pair = encoding === 'raw' ? `${clientId}:${clientSecret}` : `${minimalEncode(clientId, true)}:${minimalEncode(clientSecret, false)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/**
 * The oauth4webapi client-authentication hook for the configured method. The
 * Basic header is computed once. Bearer mode gets its token per call (bearerAuth).
 */
export function createClientAuth(clientId: string, config: ClientAuthConfig): oauth.ClientAuth {
  switch (config.method) {
    case 'client_secret_basic': {
      if (config.encoding === 'form') return oauth.ClientSecretBasic(config.clientSecret);
      const header = basicCredentials(clientId, config.clientSecret, config.encoding);
      return (_as, _client, _body, headers) => { headers.set('authorization', header); };
    }
    case 'client_secret_post':
      return oauth.ClientSecretPost(config.clientSecret);
    case 'private_key_jwt':
      return oauth.PrivateKeyJwt(config.privateKey);
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      return oauth.TlsClientAuth();
    case 'bearer':
      throw new TypeError('bearer client authentication takes its token per call: use bearerAuth(token)');
  }
}

/** The hook that sends one access token of the edge's own (RFC 7662 §2.1 allows a bearer token). */
export function bearerAuth(token: string): oauth.ClientAuth {
  return (_as, _client, _body, headers) => { headers.set('authorization', `Bearer ${token}`); };
}

/**
 * The credentials of a method that sends the same ones on every call: the
 * Basic header (`minimal`/`raw` encodings) or the client_secret_post form
 * parameters (as `&`-prefixed, encoded pairs), the client_id alone with a TLS certificate.
 * `undefined` for the methods that need oauth4webapi per call (`form`
 * encoding, private_key_jwt, bearer).
 */
export function fixedCredentials(clientId: string, config: ClientAuthConfig): { header?: string; params: string } | undefined {
  switch (config.method) {
    case 'client_secret_basic':
      return config.encoding === 'form' ? undefined : { header: basicCredentials(clientId, config.clientSecret, config.encoding), params: '' };
    case 'client_secret_post':
      return { params: `&client_id=${encodeURIComponent(clientId)}&client_secret=${encodeURIComponent(config.clientSecret)}` };
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      return { params: `&client_id=${encodeURIComponent(clientId)}` }; // RFC 8705 §2: the id travels with the certificate
    default:
      return undefined;
  }
}
