import type { JWK } from 'jose';
import { hasRocaFingerprint } from './roca.js';

const ALLOWED_CURVES: Record<string, readonly string[]> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519'] };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function bitLength(base64url: string): number {
  const bytes = Buffer.from(base64url, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

/**
 * Why a JWKS key must not be used, or undefined when it is fine. jose accepts
 * an RSA exponent of 1 and any modulus size (Wycheproof JWK cases 7, 9):
 * we want RSA ≥ 2048 bits with e = 65537 and no ROCA fingerprint (Wycheproof's
 * jws_rsa_roca_key), allowed curves only, public keys only.
 */
export function keyQualityProblem(jwk: JWK): string | undefined {
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) return 'contains private or symmetric key material';
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use is "${jwk.use}", not "sig"`;
  switch (jwk.kty) {
    case 'RSA':
      if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') return 'RSA key without n or e';
      if (jwk.e !== 'AQAB') return 'RSA public exponent is not 65537';
      if (bitLength(jwk.n) < 2048) return 'RSA modulus is shorter than 2048 bits';
      if (hasRocaFingerprint(jwk.n)) return 'RSA modulus has the ROCA fingerprint (CVE-2017-15361)';
      return undefined;
    case 'EC':
    case 'OKP':
      return ALLOWED_CURVES[jwk.kty]!.includes(jwk.crv ?? '') ? undefined : `curve ${jwk.crv} is not allowed`;
    default:
      return `key type ${jwk.kty} is not allowed`;
  }
}
