/** How many path segments a route prefix spans (`/` → 0, `/orders` and `/orders/` → 1). */
function segmentsOf(prefix: string): number {
  let n = 0;
  for (let i = 0; i < prefix.length; i++) {
    if (prefix.charCodeAt(i) !== 47 && (i === 0 || prefix.charCodeAt(i - 1) === 47)) n++;
  }
  return n;
}

/**
 * The canonical path with the segments its route's prefix matched removed,
 * then the query: `/orders/1` less `/orders` is `/1`; nothing left is `/`.
 * Empty segments and segments of only `;` parameters do not count (routing
 * did not see them), and the result never starts with `//` (which a client
 * would read as a host).
 */
export function stripPrefix(path: string, prefix: string, query = ''): string {
  let i = 0;
  let left = segmentsOf(prefix);
  while (left > 0 && i < path.length) {
    let next = path.indexOf('/', i + 1);
    if (next === -1) next = path.length;
    if (next - i > 1 && path.charCodeAt(i + 1) !== 59 /* ; */) left--;
    i = next;
  }
  let rest = path.slice(i);
  let start = 0;
  while (rest.charCodeAt(start) === 47 && rest.charCodeAt(start + 1) === 47) start++;
  if (start > 0) rest = rest.slice(start);
  if (rest.length === 0 || rest.charCodeAt(0) !== 47) rest = `/${rest}`;
  return rest + query;
}
