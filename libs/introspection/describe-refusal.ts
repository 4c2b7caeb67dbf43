/** RFC 6749/6750 error codes worth a label of their own; anything else an AS sends stays out of metric labels. */
const KNOWN_ERRORS = new Set(['invalid_client', 'invalid_request', 'unauthorized_client', 'invalid_token', 'insufficient_scope', 'access_denied', 'invalid_grant']);
const MAX_BODY = 4096;
const ERROR_CODE = /^[a-z][a-z_]{0,63}$/;

export interface Refusal {
  /** for logs and the refusal metric: `introspection_credentials_refused_http_401_invalid_client` */
  reason: string;
  /** for the log line: says who refused what, with the HTTP status */
  message: string;
}

function errorOf(body: string, challenge: string | null): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    if (typeof error === 'string') return error;
  } catch { /* not JSON: the challenge may say it */ }
  return challenge ? /\berror="?([A-Za-z0-9_]+)/.exec(challenge)?.[1] : undefined;
}

/**
 * A non-200, non-5xx answer from the introspection endpoint, read into words:
 * 401/403 mean the AS refused the edge's own credentials (with or without a
 * body); other 4xx that it refused the request. The body's first 4 KiB are looked at.
 * `token`, the token the call was about, is never quoted.
 */
export async function describeRefusal(response: Response, credentials: string, token?: string): Promise<Refusal> {
  let body = '';
  try {
    body = (await response.text()).slice(0, MAX_BODY);
  } catch { /* an unreadable body still has a status */ }
  const error = errorOf(body, response.headers.get('www-authenticate'));
  const known = error !== undefined && KNOWN_ERRORS.has(error) ? `_${error}` : '';
  // an error code as RFC 6749 writes them (lowercase words and underscores), and no part of the token, is named in
  // the log line; anything else is not: an AS that echoes the request may put the token there
  const named = error === undefined ? '' : ERROR_CODE.test(error) && !token?.includes(error) ? `, ${error}` : ', an error code not shown';
  const status = response.status;
  const credentialProblem = status === 401 || status === 403;
  return {
    reason: `introspection_${credentialProblem ? 'credentials_refused' : 'refused'}_http_${status}${known}`,
    message: credentialProblem
      ? `the authorization server refused the edge's ${credentials} (HTTP ${status}${named})`
      : `the authorization server refused the introspection request (HTTP ${status}${named})`,
  };
}
