import { createHash } from 'node:crypto';

/**
 * The only form in which a token may index a cache, a log line or a metric:
 * SHA-256, base64url. Irreversible, and about 1.3 µs per token.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
