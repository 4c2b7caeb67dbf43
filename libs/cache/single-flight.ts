/**
 * Concurrent calls for one key share one execution: the first caller runs
 * `work`, the others await the same promise. The entry is removed when it settles.
 */
export interface SingleFlight<V> {
  run(key: string, work: () => Promise<V>): { promise: Promise<V>; shared: boolean };
  readonly size: number;
}

export function createSingleFlight<V>(): SingleFlight<V> {
  const inFlight = new Map<string, Promise<V>>();
  return {
    run(key, work) {
      const existing = inFlight.get(key);
      if (existing) return { promise: existing, shared: true };
      const promise = work().finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return { promise, shared: false };
    },
    get size() { return inFlight.size; },
  };
}
