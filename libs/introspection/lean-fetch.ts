import { request, type Dispatcher } from 'undici';

/** statuses a Response may not carry a body with */
const NULL_BODY = new Set([204, 205, 304]);

/**
 * A `fetch` for oauth4webapi's `customFetch` on the introspection path: one
 * undici `request()` (the same global dispatcher and keep-alive pool `fetch`
 * uses here) and a `Response` built from the body it read. The full WHATWG
 * `fetch` builds a Request, streams the form body through a ReadableStream,
 * clones it and tees the response: measured on this machine, 713–2013 µs of
 * CPU per call (client and a local server) against 266–677 µs for this path.
 * No redirects are followed (as oauth4webapi asks: `redirect: 'manual'`); a
 * timeout rejects with the signal's own reason, as `fetch` does. With a
 * dispatcher (the AS's TLS client pool), every call goes through it.
 */
export function createLeanFetch(dispatcher?: Dispatcher) {
  return (url: string, init: LeanInit) => leanRequest(url, init, dispatcher);
}

/** the lean fetch on the global dispatcher */
export const leanFetch = createLeanFetch();

type LeanInit = { method?: string; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal | null };

async function leanRequest(url: string, init: LeanInit, dispatcher: Dispatcher | undefined): Promise<Response> {
  const body = init.body === undefined || init.body === null ? null : String(init.body);
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body, signal: init.signal ?? undefined, ...(dispatcher ? { dispatcher } : {}),
  }).catch((err: unknown) => { throw init.signal?.aborted ? init.signal.reason : err; });
  const bytes = await res.body.arrayBuffer().catch((err: unknown) => { throw init.signal?.aborted ? init.signal.reason : err; });
  const headers = new Headers();
  for (const name in res.headers) {
    const value = res.headers[name];
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  return new Response(NULL_BODY.has(res.statusCode) ? null : bytes, { status: res.statusCode, headers });
}
