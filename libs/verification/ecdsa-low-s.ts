/**
 * ECDSA signature malleability: (r, s) and (r, n − s) both verify, so one JWT
 * has two valid spellings (and two cache keys). JWS carries ECDSA as IEEE
 * P1363 `r || s`; a canonical signature has s ≤ n/2 ("low s"). The edge signs
 * low-s only (toLowS) and the micro gateway refuses high-s (isHighS).
 */
const ORDERS: Record<string, { n: bigint; size: number }> = {
  ES256: { n: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n, size: 32 },
  ES384: { n: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973n, size: 48 },
  ES512: { n: 0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409n, size: 66 },
};

const toBigInt = (bytes: Buffer): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`));

/** s of a P1363 signature for this alg, or undefined when alg is not ECDSA or the length is wrong */
function sOf(alg: string, signature: Buffer): { s: bigint; n: bigint; size: number } | undefined {
  const order = ORDERS[alg];
  if (!order || signature.length !== order.size * 2) return undefined;
  return { s: toBigInt(signature.subarray(order.size)), ...order };
}

/** Whether an ECDSA JWS signature (base64url) has s > n/2. False for other algorithms. */
export function isHighS(alg: string, signatureB64url: string): boolean {
  const parsed = sOf(alg, Buffer.from(signatureB64url, 'base64url'));
  return parsed !== undefined && parsed.s > parsed.n / 2n;
}

/** The same compact JWS with its ECDSA signature in low-s form (unchanged for other algorithms). */
export function toLowS(alg: string, jws: string): string {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  const parsed = sOf(alg, signature);
  if (!parsed || parsed.s <= parsed.n / 2n) return jws;
  const low = (parsed.n - parsed.s).toString(16).padStart(parsed.size * 2, '0');
  Buffer.from(low, 'hex').copy(signature, parsed.size);
  return `${jws.slice(0, dot + 1)}${signature.toString('base64url')}`;
}
