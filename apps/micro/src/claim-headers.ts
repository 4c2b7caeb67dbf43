import type { JWTPayload } from 'jose';

function claimValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  return undefined;
}

/** what node:http refuses in a header value (lib/_http_common.js checkInvalidHeaderChar) */
const ILLEGAL = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * `claim → header` mappings for backends that do not verify JWTs: scalars as
 * they are, string arrays space-joined, anything else left out; a value
 * node:http would refuse as a header value is left out and reported. Computed
 * once per verified claim set.
 */
export function claimHeaderMapper(mapping: Readonly<Record<string, string>>, onLeftOut?: (claim: string, header: string, reason: string) => void) {
  const pairs = Object.entries(mapping).map(([claim, header]) => [claim, header.toLowerCase()] as const);
  const memo = new WeakMap<JWTPayload, Record<string, string>>();
  return {
    /** the header names, which a caller must never set itself */
    names: pairs.map(([, header]) => header),
    headersFor(claims: JWTPayload): Record<string, string> {
      let headers = memo.get(claims);
      if (!headers) {
        headers = {};
        for (const [claim, header] of pairs) {
          const value = claimValue(claims[claim]);
          if (value === undefined) continue;
          // a value that cannot be a header (CR, LF, NUL, other controls, beyond Latin-1) is left out, never a 502
          if (ILLEGAL.test(value)) { onLeftOut?.(claim, header, 'illegal_header_value'); continue; }
          headers[header] = value;
        }
        memo.set(claims, headers);
      }
      return headers;
    },
  };
}
