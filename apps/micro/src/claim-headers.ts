import type { JWTPayload } from 'jose';

function claimValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  return undefined;
}

/**
 * `claim → header` mappings for backends that do not verify JWTs: scalars as
 * they are, string arrays space-joined, anything else left out. Computed once
 * per verified claim set.
 */
export function claimHeaderMapper(mapping: Readonly<Record<string, string>>) {
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
          if (value !== undefined) headers[header] = value;
        }
        memo.set(claims, headers);
      }
      return headers;
    },
  };
}
