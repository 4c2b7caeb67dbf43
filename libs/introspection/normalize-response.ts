import type { IntrospectionResponse, JsonValue } from 'oauth4webapi';

/** Shapes some servers send that RFC 7662 does not; each is accepted only when switched on. */
export interface ResponseTolerance {
  /** accept `scope` as a JSON array of strings (joined with spaces); otherwise such a response is refused */
  scopeArray: boolean;
  /** read a string `aud` as a space-separated list (`"orders inventory"` → two audiences) */
  spaceSeparatedAudience: boolean;
}

/** An introspection answer the edge cannot use; the AS client turns it into a 503 with this reason. */
export class MalformedIntrospectionError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'MalformedIntrospectionError';
    this.reason = reason;
  }
}

const NUMERIC_DATES = ['exp', 'iat', 'nbf'] as const;
const STRINGS = ['iss', 'sub', 'client_id', 'token_type', 'username', 'jti'] as const;
const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });
/**
 * The deepest nesting an active answer may have (the answer itself is level 0; `cnf`, `authorization_details`
 * use a few). JSON.parse takes any depth, but JSON.stringify, which the shared cache and minting use, recurses:
 * ~5 000 levels overflow it, which an AS's 1 MiB answer can hold.
 */
export const MAX_ANSWER_DEPTH = 32;

/** whether any object or array in `value` sits deeper than `max` levels (iterative: no recursion on hostile input) */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node as object)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}

function bad(claim: string, message: string): never {
  throw new MalformedIntrospectionError(`introspection_bad_${claim}`, message);
}

/**
 * Checks the claims the edge relies on and gives them one shape, so acceptance,
 * scopes and minting never see a surprise:
 * - `exp`/`iat`/`nbf` must be JSON numbers; a numeric string (`"1700000000"`) is refused,
 * - `scope` a space-separated string (an array only with `scopeArray`),
 * - `aud` a string or an array of strings, returned as given (split on spaces with `spaceSeparatedAudience`),
 * - `iss`, `sub`, `client_id`, `token_type` strings when present; absent is fine,
 * - an inactive answer is `{ active: false }`, whatever else it carried,
 * - nothing in an active one nests deeper than MAX_ANSWER_DEPTH levels.
 */
export function normalizeIntrospection(json: IntrospectionResponse, tolerance: ResponseTolerance): IntrospectionResponse {
  if (json.active !== true) return INACTIVE;
  if (nestsDeeperThan(json, MAX_ANSWER_DEPTH)) bad('depth', `the answer nests deeper than ${MAX_ANSWER_DEPTH} levels`);
  let out: Record<string, JsonValue | undefined> | undefined;
  const set = (claim: string, value: JsonValue) => { (out ??= { ...json })[claim] = value; };
  for (const claim of NUMERIC_DATES) {
    const value = json[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      bad(claim, `"${claim}" must be a number of seconds, got ${typeof value === 'string' ? 'a string' : typeof value}`);
    }
  }
  for (const claim of STRINGS) {
    if (json[claim] !== undefined && typeof json[claim] !== 'string') bad(claim, `"${claim}" must be a string`);
  }
  const scope: unknown = json.scope;
  if (Array.isArray(scope)) {
    if (!tolerance.scopeArray) bad('scope', '"scope" is an array (set authorizationServer.tolerate.scopeArray to accept it)');
    if (!scope.every((s) => typeof s === 'string' && s.length > 0 && !s.includes(' '))) bad('scope', '"scope" array items must be scope tokens');
    set('scope', scope.join(' '));
  } else if (scope !== undefined && typeof scope !== 'string') {
    bad('scope', '"scope" must be a space-separated string');
  }
  const aud: unknown = json.aud;
  if (Array.isArray(aud)) {
    if (!aud.every((a) => typeof a === 'string')) bad('aud', '"aud" array items must be strings');
  } else if (typeof aud === 'string') {
    if (tolerance.spaceSeparatedAudience && aud.includes(' ')) set('aud', aud.split(' ').filter((a) => a.length > 0));
  } else if (aud !== undefined) {
    bad('aud', '"aud" must be a string or an array of strings');
  }
  return (out ?? json) as IntrospectionResponse;
}
