/** The configurations of `npm run demo:cluster`: two edges, two micro gateways per domain, all sharing one Redis. */

export interface ClusterPorts {
  as: number;
  redis: number;
  /** per edge: data, admin */
  edges: [number, number][];
  /** per domain, per instance: data, admin */
  micros: Record<'orders' | 'inventory', [number, number][]>;
  backends: Record<'orders' | 'inventory', number>;
}

/** fixed ports, out of `npm start`'s way */
export const DEFAULT_PORTS: ClusterPorts = {
  as: 4100, redis: 6390,
  edges: [[8180, 9911], [8190, 9921]],
  micros: { orders: [[8181, 9912], [8191, 9922]], inventory: [[8182, 9913], [8192, 9923]] },
  backends: { orders: 9181, inventory: 9182 },
};

/** every edge signs with one shared key and one issuer: a micro accepts JWTs from either edge */
export const CLUSTER_ISSUER = 'http://phantom-edge.demo';
export const DOMAINS = ['orders', 'inventory'] as const;

export interface Shared { asUrl: string; redisUrl: string; keyFile: string; adminToken: string }

const url = (port: number) => `http://127.0.0.1:${port}`;

export function edgeConfig(ports: ClusterPorts, i: number, shared: Shared): Record<string, unknown> {
  const [port, admin] = ports.edges[i]!;
  return {
    development: true, issuer: CLUSTER_ISSUER, realm: 'phantom-demo',
    server: { port }, admin: { port: admin },
    // every revocation reaches every instance through Redis pub/sub
    revocation: { adminToken: shared.adminToken, redis: { url: shared.redisUrl } },
    authorizationServer: { issuer: shared.asUrl, clientId: 'edge-gateway', clientSecret: 'edge-secret', allowHttp: true },
    // one introspection per new token for the whole cluster
    introspection: { sharedCache: { redis: { url: shared.redisUrl } } },
    keys: { signing: [{ file: shared.keyFile, kid: 'demo-cluster-1' }] },
    audiences: { orders: { scopes: ['orders:read', 'orders:write'] }, inventory: { scopes: ['inventory:read', 'inventory:write'] } },
    // edge i forwards to instance i of each micro gateway
    routes: DOMAINS.map((d) => ({
      name: d, pathPrefix: `/${d}`, upstream: url(ports.micros[d][i]![0]), audience: d, scopes: [`${d}:read`, `${d}:write`], scopeMode: 'any',
    })),
  };
}

export function microConfig(ports: ClusterPorts, domain: typeof DOMAINS[number], i: number, shared: Shared): Record<string, unknown> {
  const [port, admin] = ports.micros[domain][i]!;
  return {
    audience: domain, realm: 'phantom-demo',
    server: { port, trustedProxies: ['127.0.0.1'] }, admin: { port: admin },
    revocation: { adminToken: shared.adminToken, redis: { url: shared.redisUrl } },
    jwks: { url: `${url(ports.edges[i]![0])}/.well-known/jwks.json` },
    verification: { issuer: CLUSTER_ISSUER },
    backend: url(ports.backends[domain]),
    // per-client limits shared by both instances of the domain
    throttle: { redis: { url: shared.redisUrl } },
    routes: [
      { name: `${domain}-read`, pathPrefix: `/${domain}`, methods: ['GET'], scopes: [`${domain}:read`], rateLimit: { perClient: { limit: 50, per: '1s' } } },
      { name: `${domain}-write`, pathPrefix: `/${domain}`, methods: ['POST', 'PUT', 'PATCH', 'DELETE'], scopes: [`${domain}:write`] },
    ],
  };
}
