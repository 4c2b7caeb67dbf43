import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestRecord } from '../observability/index.js';

/** What every step of a gateway's pipeline sees: the request, its record, the matched route and the token's facts. */
export interface StepContext<R, F> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RequestRecord;
  readonly route: R;
  readonly facts: F;
}

/**
 * One check or action of a gateway's pipeline (acceptance, a proof of
 * possession, scopes, a policy, a rate limit, a signature, the forward).
 * It refuses by throwing a GatewayError, or by returning a promise that
 * rejects with one. It returns a promise only when it has to wait (the next
 * step waits for it; any other value is ignored), so a request whose facts
 * are all cached runs through without one.
 */
export type Step<C> = (ctx: C) => unknown;

/** Runs the steps in order: synchronously while they are, waiting only on a step that returned a promise. */
export function runSteps<C>(steps: readonly Step<C>[], ctx: C, from = 0): Promise<void> | undefined {
  for (let i = from; i < steps.length; i++) {
    const pending = steps[i]!(ctx);
    if (pending instanceof Promise) return pending.then(() => runSteps(steps, ctx, i + 1));
  }
  return undefined;
}
