import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Stateless server nonces for DPoP (RFC 9449 §8): the current time slot and
 * an HMAC of it. A nonce is good in its slot and the next, so every edge
 * instance sharing the secret accepts every other's nonces.
 */
export function createNonceSource(options: { secret?: string | undefined; lifetimeSeconds: number; now?: () => number }) {
  const key = options.secret ? Buffer.from(options.secret) : randomBytes(32);
  const now = options.now ?? Date.now;
  const slotOf = () => Math.floor(now() / 1000 / options.lifetimeSeconds);
  const mac = (slot: number) => createHmac('sha256', key).update(String(slot)).digest().subarray(0, 16);
  const make = (slot: number) => `${slot.toString(36)}.${mac(slot).toString('base64url')}`;
  let cached = { slot: -1, nonce: '' };
  return {
    current(): string {
      const slot = slotOf();
      if (cached.slot !== slot) cached = { slot, nonce: make(slot) };
      return cached.nonce;
    },
    valid(nonce: unknown): boolean {
      if (typeof nonce !== 'string') return false;
      const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
      if (!m) return false;
      const slot = parseInt(m[1]!, 36);
      const current = slotOf();
      if (slot !== current && slot !== current - 1) return false;
      return timingSafeEqual(Buffer.from(m[2]!, 'base64url'), mac(slot));
    },
  };
}
