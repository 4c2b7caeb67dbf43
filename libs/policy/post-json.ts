import type { Dispatcher } from 'undici';
import { AnswerTooLargeError, bufferedCall, type BufferedAnswer, type CallTarget } from '../proxy/index.js';

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
 * POSTs a JSON document to `target` (callTarget(url), parsed once per client) and returns the parsed JSON answer; every failure is a
 * PdpFailure (the caller applies its fail mode). The timeout covers the whole
 * exchange, body included; bodies over 64 KiB are refused. One buffered
 * exchange (libs/proxy/buffered-call.ts): a decision per request must not pay
 * for a body stream and a live timeout signal per call.
 */
export async function postJson(target: CallTarget, body: unknown, options: PostJsonOptions): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
  if (options.bearerToken) headers.authorization = `Bearer ${options.bearerToken}`;
  let answer: BufferedAnswer;
  try {
    answer = await bufferedCall(target, { method: 'POST', headers, body: JSON.stringify(body) }, { timeoutMs: options.timeoutMs, maxBytes: MAX_BODY, dispatcher: options.dispatcher });
  } catch (err) {
    const ok = (status: number) => status >= 200 && status <= 299;
    if (err instanceof AnswerTooLargeError) throw ok(err.status) ? new PdpFailure('garbage', 'the PDP answer is too large') : new PdpFailure('status', `the PDP answered ${err.status}`);
    if ((err as Error).name === 'TimeoutError') throw new PdpFailure('timeout', `the PDP did not answer within ${options.timeoutMs} ms`, { cause: err });
    throw new PdpFailure('unreachable', 'the PDP could not be reached', { cause: err });
  }
  if (answer.status < 200 || answer.status > 299) throw new PdpFailure('status', `the PDP answered ${answer.status}`);
  try {
    return JSON.parse(answer.body.toString('utf8')) as unknown;
  } catch (err) {
    throw new PdpFailure('garbage', 'the PDP answer is not JSON', { cause: err });
  }
}
