import { GatewayError } from '../errors/index.js';
import { parseBearer } from '../bearer/parse-bearer.js';

const DPOP_SCHEME = /^dpop +/i;

/**
 * `Authorization: Bearer <token>` or, with DPoP on, `Authorization: DPoP <token>`
 * (RFC 9449 §7.1), with the same token rules as Bearer (RFC 6750 b64token).
 * No header or another scheme → 401 with both challenges.
 */
export function parseAuthorization(values: readonly string[], maxLength: number, dpopAlgs: string | undefined): { token: string; dpop: boolean } {
  try {
    if (dpopAlgs !== undefined && values.length === 1 && DPOP_SCHEME.test(values[0]!.trim())) {
      return { token: parseBearer([values[0]!.trim().replace(DPOP_SCHEME, 'Bearer ')], maxLength), dpop: true };
    }
    return { token: parseBearer(values, maxLength), dpop: false };
  } catch (err) {
    if (dpopAlgs === undefined || !(err instanceof GatewayError) || err.status !== 401) throw err;
    throw new GatewayError(err.code, err.message, { reason: err.reason ?? 'no_authorization', dpopAlgs });
  }
}
