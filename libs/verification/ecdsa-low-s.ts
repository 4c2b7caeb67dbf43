/**
 * ECDSA signature malleability: (r, s) and (r, n − s) both verify, so one JWT
 * has two valid spellings (and two cache keys). JWS carries ECDSA as IEEE
 * P1363 `r || s`; a canonical signature has s ≤ n/2 ("low s"). The edge signs
 * low-s only (toLowSInPlace) and the micro gateway refuses high-s (isHighS).
 * Both work on the big-endian bytes (a compare, a subtraction with borrow):
 * the BigInt route through hex strings was ~1 % of the edge's CPU per cold request under perf.
 */
const bytesOf = (n: bigint, size: number) => Buffer.from(n.toString(16).padStart(size * 2, '0'), 'hex');
const order = (n: bigint, size: number) => ({ n: bytesOf(n, size), half: bytesOf(n / 2n, size), size });
/** the ECDSA algorithm among SIGNING_ALGORITHMS (libs/keys); another alg is left alone here and refused by the allow-list */
const ORDERS: Record<string, { n: Buffer; half: Buffer; size: number }> = {
  ES256: order(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n, 32),
};

/** s of a P1363 signature for this alg (a view, not a copy) and its curve's order, or undefined when alg is not ECDSA or the length is wrong */
function sOf(alg: string, signature: Buffer) {
  const o = ORDERS[alg];
  if (!o || signature.length !== o.size * 2) return undefined;
  return { s: signature.subarray(o.size), ...o };
}

/** Whether an ECDSA JWS signature (base64url) has s > n/2. False for other algorithms. */
export function isHighS(alg: string, signatureB64url: string): boolean {
  const parsed = sOf(alg, Buffer.from(signatureB64url, 'base64url'));
  return parsed !== undefined && parsed.s.compare(parsed.half) > 0;
}

/**
 * A P1363 signature (for this alg) turned low-s in place — s > n/2 becomes
 * n − s — and returned; other algorithms and a low s unchanged. For a
 * signature as OpenSSL makes it (s < n); an s ≥ n would wrap.
 */
export function toLowSInPlace(alg: string, signature: Buffer): Buffer {
  const parsed = sOf(alg, signature);
  if (!parsed || parsed.s.compare(parsed.half) <= 0) return signature;
  const { s, n } = parsed;
  let borrow = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const d = n[i]! - s[i]! - borrow;
    borrow = d < 0 ? 1 : 0;
    s[i] = d + (borrow << 8);
  }
  return signature;
}

/** The same compact JWS with its ECDSA signature in low-s form (unchanged for other algorithms). */
export function toLowS(alg: string, jws: string): string {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  const parsed = sOf(alg, signature);
  if (!parsed || parsed.s.compare(parsed.half) <= 0) return jws;
  return `${jws.slice(0, dot + 1)}${toLowSInPlace(alg, signature).toString('base64url')}`;
}
