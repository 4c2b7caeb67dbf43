import { GatewayError } from '../errors/index.js';

export interface ConcurrencyRule {
  /** requests in flight to the backend at once */
  max: number;
  /** requests allowed to wait for a slot */
  queue: number;
  /** the longest a request waits before it gets 503 */
  maxWaitMs: number;
}

export type Release = () => void;

function overloaded(reason: string, retryAfter: number): GatewayError {
  return new GatewayError('overloaded', 'the service is at capacity, retry shortly', { retryAfter, reason });
}

/**
 * A semaphore that protects a backend: at most `max` requests in flight, a
 * bounded FIFO queue, a maximum wait. Entering with a free slot is
 * synchronous. A release is idempotent.
 */
export function createConcurrencyGate(rule: ConcurrencyRule) {
  let inFlight = 0;
  const waiting: { grant: (release: Release) => void; timer: NodeJS.Timeout }[] = [];

  function makeRelease(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) { clearTimeout(next.timer); next.grant(makeRelease()); } else inFlight--;
    };
  }

  return {
    get inFlight() { return inFlight; },
    get queued() { return waiting.length; },
    enter(): Release | Promise<Release> {
      if (inFlight < rule.max) { inFlight++; return makeRelease(); }
      if (waiting.length >= rule.queue) throw overloaded('queue_full', 1);
      return new Promise<Release>((resolve, reject) => {
        const entry = {
          grant: resolve,
          timer: setTimeout(() => {
            waiting.splice(waiting.indexOf(entry), 1);
            reject(overloaded('queue_timeout', Math.ceil(rule.maxWaitMs / 1000)));
          }, rule.maxWaitMs),
        };
        waiting.push(entry);
      });
    },
  };
}
