import type { Dispatcher } from 'undici';
import { bufferedCall, callTarget, decodedAnswer, rawHeader, responseOf } from '../proxy/index.js';

const JWT_ANSWER = 'application/token-introspection+jwt';

export interface DirectIntrospectionOptions {
  /** the introspection endpoint (https, or http where allowed: the caller checks) */
  url: string;
  /** sent with every call: accept, content-type, the client's Authorization when its method has one */
  headers: Readonly<Record<string, string>>;
  /** form parameters after the token, encoded, each starting with `&` (token_type_hint, client_secret_post credentials) */
  params: string;
  timeoutMs: number;
  /** the AS's TLS client pool; default: the global dispatcher */
  dispatcher?: Dispatcher | undefined;
}

/** a 200 JSON answer, parsed (`undefined` when it is not JSON); any other answer as a Response for the general path */
export type DirectAnswer = { json: unknown } | { response: Response };

/**
 * One RFC 7662 call for the common case — a JSON answer, a client
 * authenticated by a fixed header or form parameters, or by its TLS
 * certificate — as one buffered exchange (libs/proxy/buffered-call.ts),
 * without the WHATWG objects oauth4webapi's request and response processing
 * go through (URLSearchParams, two Headers, a Response with a ReadableStream
 * body read back by `json()`): measured by callgrind at the edge, see README
 * "Performance". Everything else (a signed JWT answer, an error status) comes
 * back as a Response for the caller's oauth4webapi path, so every refusal
 * keeps its reason. A network failure rejects with undici's error, the
 * timeout with a `TimeoutError`, as the lean fetch does.
 */
export function createDirectIntrospection(options: DirectIntrospectionOptions): (token: string) => Promise<DirectAnswer> {
  const { headers, params } = options;
  const target = callTarget(options.url);
  const call = { timeoutMs: options.timeoutMs, dispatcher: options.dispatcher };
  return async (token) => {
    // a compressed answer decoded as the lean fetch does (oauth4webapi's path), to the same bound
    const answer = decodedAnswer(await bufferedCall(target, { method: 'POST', headers, body: `token=${encodeURIComponent(token)}${params}` }, call));
    const type = rawHeader(answer.rawHeaders, 'content-type');
    if (answer.status === 200 && !(type !== undefined && type.split(';')[0]!.trim().toLowerCase() === JWT_ANSWER)) {
      // decoded as Response.json() does (oauth4webapi's path): UTF-8, one leading BOM dropped
      const bom = answer.body[0] === 0xef && answer.body[1] === 0xbb && answer.body[2] === 0xbf;
      try { return { json: JSON.parse(answer.body.toString('utf8', bom ? 3 : 0)) as unknown }; } catch { return { json: undefined }; }
    }
    return { response: responseOf(answer) };
  };
}
