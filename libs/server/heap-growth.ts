import { setFlagsFromString } from 'node:v8';

/** V8's old-generation growth step a gateway runs with, unless its operator set one */
export const HEAP_GROWING_PERCENT = 15;

/**
 * Keeps a gateway's memory near what it holds. After each full GC, V8 sets
 * the next limit of the old generation at up to 4× the live bytes, so under a
 * stream of distinct tokens (cache entries made and evicted) the edge's RSS
 * grew ~165 MiB over a ~30 MiB live heap; with a 15 % step it grew 28 MiB
 * (`npm run bench:memory`'s edge, 100 000 tokens, 10 000-entry caches), at
 * 0.99× the throughput of an edge hop (8 paired 3 s wrk runs). The step is a
 * V8 flag set at start; an operator's own (`node --heap-growing-percent=N`,
 * on the command line or in NODE_OPTIONS) wins. Returns whether it was set.
 */
export function limitHeapGrowth(nodeFlags: string): boolean {
  if (/--heap[-_]growing[-_]percent\b/.test(nodeFlags)) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
