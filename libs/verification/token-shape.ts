const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const JWE_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A base64url segment without padding whose unused trailing bits are zero (one encoding per value). */
export function isCanonicalBase64url(segment: string): boolean {
  const rem = segment.length % 4;
  if (rem === 1) return false;
  if (rem === 0) return true;
  const last = B64URL.indexOf(segment[segment.length - 1]!);
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/**
 * The strict shape check that runs before jose sees a token: exactly three
 * (JWS) or five (JWE) base64url segments, no padding, no spaces, canonical
 * trailing bits. jose alone accepts variants of one token (Wycheproof JWS
 * cases 360–375), which makes tokens malleable and cache keys ambiguous.
 */
export function hasCanonicalShape(token: string, kind: 'jws' | 'jwe'): boolean {
  if (!(kind === 'jws' ? JWS_SHAPE : JWE_SHAPE).test(token)) return false;
  for (const segment of token.split('.')) {
    if (segment.length > 0 && !isCanonicalBase64url(segment)) return false;
  }
  return true;
}
