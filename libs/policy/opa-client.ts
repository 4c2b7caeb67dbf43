import type { Dispatcher } from 'undici';
import { postJson, PdpFailure } from './post-json.js';
import { callTarget } from '../proxy/index.js';
import type { AuthzenEvaluation, Decision, PdpClient } from './evaluation.js';

export interface OpaClientOptions {
  /** the OPA server, e.g. http://127.0.0.1:8181 */
  url: string;
  /** the decision document, e.g. "phantom/allow" */
  path: string;
  bearerToken?: string | undefined;
  timeoutMs: number;
  /** connections with the PDP's TLS options (mutual TLS), see createPdpDispatcher */
  dispatcher?: Dispatcher | undefined;
}

/**
 * OPA Data API (`POST /v1/data/<path>` → `{"result": …}`): a boolean result, or
 * an object with a boolean `allow`. No `result` means the document is
 * undefined (a policy not loaded, a typo in the path): a failure, not a denial,
 * so the route's fail mode applies and an operator sees it.
 */
export function processOpaResponse(body: unknown): Decision {
  if (body === null || typeof body !== 'object' || !('result' in body)) throw new PdpFailure('garbage', 'the OPA answer has no "result" (undefined document)');
  const result = (body as { result: unknown }).result;
  if (typeof result === 'boolean') return { decision: result, by: 'opa' };
  if (result !== null && typeof result === 'object' && typeof (result as { allow?: unknown }).allow === 'boolean') {
    return { decision: (result as { allow: boolean }).allow, by: 'opa' };
  }
  throw new PdpFailure('garbage', 'the OPA result is neither a boolean nor an object with a boolean "allow"');
}

/** The OPA adapter: the AuthZEN evaluation document is sent as OPA's `input`. */
export function createOpaClient(options: OpaClientOptions): PdpClient {
  const endpoint = callTarget(`${options.url.replace(/\/+$/, '')}/v1/data/${options.path}`);
  return async function evaluateOpa(evaluation: AuthzenEvaluation): Promise<Decision> {
    return processOpaResponse(await postJson(endpoint, { input: evaluation }, { timeoutMs: options.timeoutMs, bearerToken: options.bearerToken, dispatcher: options.dispatcher }));
  };
}
