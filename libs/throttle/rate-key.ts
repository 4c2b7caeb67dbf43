import { createHash } from 'node:crypto';

/** What a limit can count by: `client` (client_id, else sub), `client_id`, `sub`, `peer` (the client's address), `claim:<name>`. */
export type KeyPart = 'client' | 'client_id' | 'sub' | 'peer' | `claim:${string}`;

/** Who is asking: the token's claims (JWT or introspection result) and the peer address. */
export interface Subject {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly peer: string;
}

const MAX_KEY = 200;

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '-';
}

function partReader(part: KeyPart): (s: Subject) => string {
  switch (part) {
    case 'client': return (s) => text(s.claims.client_id ?? s.claims.sub);
    case 'client_id': return (s) => text(s.claims.client_id);
    case 'sub': return (s) => text(s.claims.sub);
    case 'peer': return (s) => s.peer;
    default: { const claim = part.slice('claim:'.length); return (s) => text(s.claims[claim]); }
  }
}

/** A long value becomes its SHA-256: a key's size in memory and in Redis stays bounded. */
function bounded(key: string): string {
  return key.length <= MAX_KEY ? key : createHash('sha256').update(key).digest('base64url');
}

/**
 * The function that names a subject's bucket for a list of key parts. Parts
 * are length-prefixed when combined, so two combinations never collide.
 */
export function createKeyFunction(parts: readonly KeyPart[]): (s: Subject) => string {
  if (parts.length === 0) return () => '';
  const readers = parts.map(partReader);
  if (readers.length === 1) { const read = readers[0]!; return (s) => bounded(read(s)); }
  return (s) => {
    let key = '';
    for (const read of readers) { const v = read(s); key += `${v.length}:${v}`; }
    return bounded(key);
  };
}

/** A claim's value as a tier name (strings and numbers only). */
export function tierOf(claims: Readonly<Record<string, unknown>>, claim: string): string | undefined {
  const v = claims[claim];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
