import { randomBytes } from 'node:crypto';

/**
 * A bounded map from string keys to one number each (a rate limiter's TAT, an
 * expiry time) that keeps no object per key: every entry lives in flat typed
 * arrays allocated once, 24 bytes per slot, whatever the key's length.
 *
 * Why not `lru-cache` or a `Map`: measured with 1 000 000 distinct keys through
 * 100 000 slots, a `Map`-backed LRU keeps each key string and each boxed number
 * alive until it is evicted, long enough to be promoted to V8's old generation
 * where it dies, and the `Map` re-hashes its table (a large object, megabytes)
 * as deletions accumulate: the old generation grew by ~100 MiB of garbage
 * before a full collection (README "Performance", memory). Here the per-request
 * key string dies young and nothing else is allocated.
 *
 * Layout: set-associative, `WAYS` slots per set; a key hashes (keyed, a random
 * seed per process, so nobody can aim keys at one set) to a set and a 64-bit
 * fingerprint; within a set the least recently used slot is replaced. Two live
 * keys with equal fingerprints would share a slot: with 100 000 keys the
 * chance is about 100 000² / 2⁶⁵ ≈ 3·10⁻¹⁰. A lookup reads at most `WAYS`
 * slots; there are exactly `maxEntries` slots. An evicted key reads as absent
 * (for a limiter: a full bucket), as with any bounded LRU; a set evicts when
 * its own eight slots are full, so with exactly `maxEntries` distinct keys
 * about 86 % stay (measured with 100 000 sequential client ids). Measured
 * against `lru-cache` (get + set, key string built per call): 185 / 369 ns for
 * one key, 366 / 566 ns for 1 000, 457 / 1 390 ns for 150 000 keys cycling
 * through 100 000 slots.
 */
export interface CompactLru {
  /** the value stored for `key` (marks it recently used), or undefined */
  get(key: string): number | undefined;
  set(key: string, value: number): void;
  delete(key: string): void;
  readonly size: number;
}

const WAYS = 8;

export function createCompactLru(maxEntries: number): CompactLru {
  const sets = Math.max(1, Math.ceil(maxEntries / WAYS));
  const slots = Math.max(1, maxEntries); // exactly the bound: the last set may have fewer ways
  const fp1 = new Int32Array(slots);
  const fp2 = new Int32Array(slots);
  const values = new Float64Array(slots);
  /** last use, from a counter; 0 = empty */
  const used = new Float64Array(slots);
  const seed = new Int32Array(randomBytes(8).buffer);
  const s1 = seed[0]! | 1; const s2 = seed[1]! | 1;
  let clock = 0;
  let size = 0;
  // the key of the last lookup and its hash: get() then set() of one key hashes it once
  let lastKey = ''; let lastA = 0; let lastB = 0; let lastBase = -1; let lastEnd = 0;

  function hash(key: string): void {
    if (key === lastKey && lastBase >= 0) return;
    // two independent multiply-xor lanes over the UTF-16 code units, then a finaliser (murmur3 fmix32)
    let a = s1; let b = s2;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x9e3779b1); b = Math.imul(b ^ c, 0x85ebca77);
      a ^= a >>> 15; b ^= b >>> 13;
    }
    a ^= key.length; b = Math.imul(b ^ a, 0xc2b2ae3d);
    a ^= a >>> 16; a = Math.imul(a, 0x85ebca6b); a ^= a >>> 13; a = Math.imul(a, 0xc2b2ae35); a ^= a >>> 16;
    b ^= b >>> 16; b = Math.imul(b, 0x85ebca6b); b ^= b >>> 13; b = Math.imul(b, 0xc2b2ae35); b ^= b >>> 16;
    lastKey = key; lastA = a; lastB = b;
    lastBase = Math.floor(((b >>> 0) / 4294967296) * sets) * WAYS;
    lastEnd = Math.min(lastBase + WAYS, slots);
  }

  function find(key: string): number {
    hash(key);
    for (let i = lastBase; i < lastEnd; i++) if (used[i] !== 0 && fp1[i] === lastA && fp2[i] === lastB) return i;
    return -1;
  }

  return {
    get size() { return size; },
    get(key) {
      const i = find(key);
      if (i < 0) return undefined;
      used[i] = ++clock;
      return values[i];
    },
    set(key, value) {
      let i = find(key);
      if (i < 0) {
        // an empty slot of the set, else its least recently used one
        i = lastBase;
        for (let j = lastBase + 1; j < lastEnd && used[i] !== 0; j++) if (used[j]! < used[i]!) i = j;
        if (used[i] === 0) size++;
        fp1[i] = lastA; fp2[i] = lastB;
      }
      values[i] = value;
      used[i] = ++clock;
    },
    delete(key) {
      const i = find(key);
      if (i >= 0) { used[i] = 0; size--; }
    },
  };
}
