/**
 * The measured part of `npm run demo:cluster`: one token used on both edges
 * at once costs one introspection; a revocation at the AS is refused by every
 * edge and micro gateway, timed from the revocation call.
 */
export interface WalkthroughTargets {
  asUrl: string;
  edges: string[];
  /** per edge i: the orders and inventory micro gateways it forwards to */
  micros: { orders: string; inventory: string }[];
}

export interface WalkthroughResult {
  requests: number;
  introspections: number;
  /** ms from the revocation call until every edge and micro gateway answered 401 */
  refusedAfterMs: number;
  /** ms the AS took to answer the revocation call (RFC 7009) */
  revocationCallMs: number;
  statusesBefore: number[];
}

const basic = `Basic ${Buffer.from('demo-app:demo-secret').toString('base64')}`;
const get = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });
const introspections = async (asUrl: string) => ((await (await fetch(`${asUrl}/_dev/stats`)).json()) as { introspections: number }).introspections;

async function newToken(asUrl: string): Promise<string> {
  const res = await fetch(`${asUrl}/token`, {
    method: 'POST', headers: { authorization: basic },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read inventory:read' }),
  });
  const { access_token: token } = await res.json() as { access_token?: string };
  if (!token) throw new Error(`the AS gave no token (HTTP ${res.status})`);
  return token;
}

/** the JWT an edge minted, as its backend echoes it */
async function mintedJwt(edge: string, path: string, token: string): Promise<string> {
  const res = await get(`${edge}${path}`, token);
  const body = await res.json() as { headers?: { authorization?: string } };
  if (res.status !== 200 || !body.headers?.authorization) throw new Error(`${edge}${path}: HTTP ${res.status}`);
  return body.headers.authorization.slice('Bearer '.length);
}

export async function runWalkthrough(t: WalkthroughTargets, perEdge = 5): Promise<WalkthroughResult> {
  const token = await newToken(t.asUrl);
  const before = await introspections(t.asUrl);
  const statusesBefore = await Promise.all(t.edges.flatMap((e) => Array.from({ length: perEdge }, () => get(`${e}/orders/1`, token).then(async (r) => { await r.arrayBuffer(); return r.status; }))));
  const introspected = (await introspections(t.asUrl)) - before;

  // what each micro gateway would be replayed: the JWTs its edge minted from this token
  const jwts = await Promise.all(t.edges.flatMap((e, i) => [
    mintedJwt(e, '/orders/jwt', token).then((jwt) => ({ url: `${t.micros[i]!.orders}/orders/1`, jwt })),
    mintedJwt(e, '/inventory/jwt', token).then((jwt) => ({ url: `${t.micros[i]!.inventory}/inventory/1`, jwt })),
  ]));
  const probes = [...t.edges.map((e) => ({ url: `${e}/orders/1`, jwt: token })), ...jwts];

  const started = performance.now();
  const revoked = await fetch(`${t.asUrl}/token/revocation`, { method: 'POST', headers: { authorization: basic }, body: new URLSearchParams({ token }) });
  if (revoked.status !== 200) throw new Error(`the AS refused the revocation: HTTP ${revoked.status}`);
  const revocationCallMs = performance.now() - started;
  for (;;) {
    const seen = await Promise.all(probes.map((p) => get(p.url, p.jwt).then(async (r) => { await r.arrayBuffer(); return r.status; })));
    if (seen.every((s) => s === 401)) break;
    if (performance.now() - started > 5000) throw new Error(`not refused everywhere after 5 s: ${seen.join(' ')}`);
  }
  return { requests: statusesBefore.length, introspections: introspected, refusedAfterMs: performance.now() - started, revocationCallMs, statusesBefore };
}
