import { GatewayError } from '../errors/index.js';

/**
 * One request target, read once: `path` is what is logged and forwarded
 * (RFC 3986 §6.2.2: unreserved characters decoded, every other escape in
 * upper-case hex), `query` is forwarded byte-exact, and `key`/`folded` are
 * what a decoding backend dispatches on (fully decoded; `;` parameters
 * removed and repeated slashes merged when the target had them; `folded` in
 * lower case), which is what routes are matched against.
 */
export interface CanonicalTarget {
  readonly path: string;
  /** `''` or `?…`, exactly as received */
  readonly query: string;
  readonly key: string;
  readonly folded: string;
  /** a segment carried `;` parameters (allowed per route: `matrixParams`) */
  readonly params: boolean;
  /** the path had `//` inside it (allowed per route: `repeatedSlashes`) */
  readonly slashes: boolean;
}

const refuse = (reason: string, description: string): never => {
  throw new GatewayError('bad_request', description, { reason });
};

// raw characters a path may carry as they are: unreserved, sub-delims but `;`, ":", "@", "/"
const PLAIN = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@/") PLAIN[c.charCodeAt(0)] = 1;
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;
const HEX = '0123456789ABCDEF';
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NON_ASCII = /[^\x00-\x7f]/;
const ASCII = /[\x00-\x7f]/;
const ESCAPE = /%[0-9a-f]{2}/i;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The query: byte-exact, but only visible ASCII (no controls, spaces, `#` or raw non-ASCII). */
function checkQuery(query: string): void {
  for (let i = 1; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 35 /* # */) refuse('query_character', 'the query string has an illegal character');
  }
}

/** A decoded segment's checks, for what backends read differently. */
function checkSegment(segment: string): void {
  if (segment === '.' || segment === '..') refuse('dot_segment', 'the request path has a dot segment');
  const last = segment.charCodeAt(segment.length - 1);
  if (last === 46 /* . */ || last === 32) refuse('trailing_dot_or_space', 'a path segment ends in a dot or a space');
  if (segment.includes('%') && ESCAPE.test(segment)) refuse('double_encoding', 'the request path is percent-encoded twice');
  if (NON_ASCII.test(segment)) {
    for (const ch of segment) {
      // characters a case-folding or compatibility-normalising backend turns into ASCII (ſ → S, K → k, ﬀ → ff)
      if (ch.charCodeAt(0) > 0x7f && ASCII.test(ch.toUpperCase() + ch.toLowerCase() + ch.normalize('NFKC'))) {
        refuse('ascii_lookalike', 'the request path has a character that folds to ASCII');
      }
    }
  }
}

/** The slow path: escapes, `;` parameters, repeated slashes, dots. */
function canonicalSlow(path: string, query: string): CanonicalTarget {
  let out = '';
  const keys: string[] = [];
  let params = false;
  let slashes = false;
  let bytes: number[] = [];
  let wide = false; // the segment has bytes ≥ 0x80
  let inParams = false;
  const endSegment = (last: boolean) => {
    const segment = wide ? decodeUtf8(bytes) : String.fromCharCode(...bytes);
    bytes = []; wide = false; inParams = false;
    if (segment.length === 0) {
      if (!last) slashes = true;
      if (last) keys.push('');
      return;
    }
    checkSegment(segment);
    keys.push(segment);
  };
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 47 /* / */) { out += '/'; endSegment(false); continue; }
    if (c === 37 /* % */) {
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = hexValue(path.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) refuse('bad_escape', 'the request path has a malformed percent-escape');
      const b = hi * 16 + lo;
      i += 2;
      if (b === 47 || b === 92) refuse('encoded_separator', 'the request path has an encoded "/" or "\\"');
      if (b < 0x20 || b === 0x7f) refuse('encoded_control', 'the request path has an encoded control character');
      if (b === 59) refuse('encoded_semicolon', 'the request path has an encoded ";"');
      if (b === 37 && hexValue(path.charCodeAt(i + 1)) >= 0 && hexValue(path.charCodeAt(i + 2)) >= 0) refuse('double_encoding', 'the request path is percent-encoded twice');
      if (b < 0x80 && UNRESERVED[b]) out += String.fromCharCode(b);
      else out += `%${HEX[hi]}${HEX[lo]}`;
      if (b >= 0x80) wide = true;
      if (!inParams) bytes.push(b);
      continue;
    }
    if (c === 59 /* ; */) { params = true; inParams = true; out += ';'; continue; }
    if (c >= 128 || !PLAIN[c]) {
      if (c === 92) refuse('backslash', 'the request path has a "\\"');
      if (c === 35) refuse('fragment', 'the request target has a fragment');
      refuse('path_character', 'the request path has an illegal character');
    }
    out += path[i];
    if (!inParams) bytes.push(c);
  }
  endSegment(true);
  let key = '/' + keys.join('/');
  if (slashes) key = key.replace(/\/{2,}/g, '/');
  return { path: '/' + out, query, key, folded: key.toLowerCase(), params, slashes };
}

function decodeUtf8(bytes: number[]): string {
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return refuse('invalid_utf8', 'the request path is not valid UTF-8');
  }
}

/**
 * The canonical form of a request target (origin-form only: absolute-form,
 * asterisk-form and `//…` are refused), or a 400 `bad_request` whose
 * `reason` names what was refused. Targets with nothing to normalise (plain
 * characters, no `%`, `;`, `//` or segment ending in a dot) take a single
 * scan and no allocation beyond the result.
 */
export function canonicalTarget(url: string): CanonicalTarget {
  if (url.charCodeAt(0) !== 47 /* / */ || url.charCodeAt(1) === 47) refuse('target_form', 'the request target must be a path');
  let end = url.indexOf('?');
  if (end === -1) end = url.length;
  let upper = false;
  let fast = true;
  let prev = 47;
  for (let i = 1; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c >= 128 || !PLAIN[c] || (c === 47 && (prev === 47 || prev === 46))) { fast = false; break; }
    if (c >= 65 && c <= 90) upper = true;
    prev = c;
  }
  if (fast && prev === 46 /* a last segment ending in "." */) fast = false;
  const query = end === url.length ? '' : url.slice(end);
  if (query.length > 1) checkQuery(query);
  if (!fast) return canonicalSlow(url.slice(0, end), query);
  const path = end === url.length ? url : url.slice(0, end);
  return { path, query, key: path, folded: upper ? path.toLowerCase() : path, params: false, slashes: false };
}
