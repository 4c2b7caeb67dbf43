import { request, type Dispatcher } from 'undici';

/** A PDP that could not answer: unreachable, too slow, an error status or an unreadable body. */
export class PdpFailure extends Error {
  readonly kind: 'unreachable' | 'timeout' | 'status' | 'garbage';
  constructor(kind: PdpFailure['kind'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PdpFailure';
    this.kind = kind;
  }
}

export interface PostJsonOptions {
  timeoutMs: number;
  bearerToken?: string | undefined;
  headers?: Record<string, string>;
  /** the connections to use (an undici Agent with the PDP's TLS options: CA, client certificate); default: undici's global */
  dispatcher?: Dispatcher | undefined;
}

const MAX_BODY = 64 * 1024;

/**
 * POSTs a JSON document and returns the parsed JSON answer; every failure is a
 * PdpFailure (the caller applies its fail mode). The timeout covers the whole
 * exchange, body included; bodies over 64 KiB are refused.
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
  if (options.bearerToken) headers.authorization = `Bearer ${options.bearerToken}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let text = '';
  let status: number;
  try {
    const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), signal, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) });
    status = res.statusCode;
    if (status < 200 || status > 299) {
      await res.body.dump();
      throw new PdpFailure('status', `the PDP answered ${status}`);
    }
    for await (const chunk of res.body) {
      text += String(chunk);
      if (text.length > MAX_BODY) { res.body.destroy(); throw new PdpFailure('garbage', 'the PDP answer is too large'); }
    }
  } catch (err) {
    if (err instanceof PdpFailure) throw err;
    if (signal.aborted) throw new PdpFailure('timeout', `the PDP did not answer within ${options.timeoutMs} ms`, { cause: err });
    throw new PdpFailure('unreachable', 'the PDP could not be reached', { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PdpFailure('garbage', 'the PDP answer is not JSON', { cause: err });
  }
}
