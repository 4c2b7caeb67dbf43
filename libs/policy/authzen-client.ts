import type { Dispatcher } from 'undici';
import { postJson, PdpFailure } from './post-json.js';
import { callTarget } from '../proxy/index.js';
import type { AuthzenEvaluation, Decision, PdpClient } from './evaluation.js';

export interface AuthzenClientOptions {
  /** the PDP's base URL; requests go to <url>/access/v1/evaluation */
  url: string;
  bearerToken?: string | undefined;
  timeoutMs: number;
  /** connections with the PDP's TLS options (mutual TLS), see createPdpDispatcher */
  dispatcher?: Dispatcher | undefined;
}

/** AuthZEN 1.0 §6.2: the response is an object whose `decision` is a boolean (other members are optional). */
export function processAuthzenResponse(body: unknown): Decision {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof (body as { decision?: unknown }).decision !== 'boolean') {
    throw new PdpFailure('garbage', 'the AuthZEN answer has no boolean "decision"');
  }
  return { decision: (body as { decision: boolean }).decision, by: 'authzen' };
}

/**
 * A PEP client for the AuthZEN Access Evaluation API: `POST /access/v1/evaluation`
 * with subject, action, resource and context; `X-Request-ID` is passed on
 * (§10.1.3), the bearer token authenticates the PEP.
 */
export function createAuthzenClient(options: AuthzenClientOptions): PdpClient {
  const endpoint = callTarget(`${options.url.replace(/\/+$/, '')}/access/v1/evaluation`);
  return async function evaluateAuthzen(evaluation: AuthzenEvaluation, requestId?: string): Promise<Decision> {
    const body = await postJson(endpoint, evaluation, {
      timeoutMs: options.timeoutMs, bearerToken: options.bearerToken, dispatcher: options.dispatcher,
      ...(requestId ? { headers: { 'x-request-id': requestId } } : {}),
    });
    return processAuthzenResponse(body);
  };
}
