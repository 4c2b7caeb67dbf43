/** The request target with a route's path prefix removed: `/orders/1?x` less `/orders` is `/1?x`; nothing left is `/`. */
export function stripPrefix(url: string, prefix: string): string {
  const rest = url.slice(prefix.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
