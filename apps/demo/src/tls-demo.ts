/**
 * `npm start -- --tls`: the demo with transport security, certificates from
 * a development CA generated at start into a temp folder (paths printed):
 * the edge on HTTPS with two SNI names (api.phantom.test, shop.phantom.test),
 * mutual TLS edge → micro gateways (SPIFFE-style URI allow-list), DPoP and
 * certificate-bound tokens accepted, and a walk-through of `curl --cacert …`
 * commands. `--any-ports` picks free ports instead of the fixed ones.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createDemoProcesses, freePort } from './demo-processes.js';
import { createTestCa } from './dev-ca.js';
import { writeDpopKey } from './dpop-proof.js';
import { tlsWalkThrough } from './tls-walk-through.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const FIXED = { as: 4000, edge: 8443, orders: 8081, inventory: 8082, ordersBackend: 9081, inventoryBackend: 9082, edgeAdmin: 9901, ordersAdmin: 9902, inventoryAdmin: 9903 };

function microYaml(audience: string, port: number, admin: number, backend: number, edge: number, caFile: string, certFile: string, keyFile: string): unknown {
  return {
    audience, realm: 'phantom-demo',
    server: {
      port, trustedProxies: ['127.0.0.1'],
      // only the edge's client certificate (its SPIFFE-style URI) gets past the handshake and the allow-list
      tls: { certificates: [{ certFile, keyFile }], clientAuth: { caFile, allow: { uris: ['spiffe://phantom.demo/edge'] } } },
    },
    admin: { port: admin },
    jwks: { url: `https://127.0.0.1:${edge}/.well-known/jwks.json` },
    verification: { issuer: `https://127.0.0.1:${edge}` },
    backend: `http://127.0.0.1:${backend}`,
    claimHeaders: { sub: 'X-Auth-Sub', client_id: 'X-Auth-Client-Id', scope: 'X-Auth-Scope' },
    routes: [
      { name: `${audience}-live`, pathPrefix: `/${audience}/live`, methods: ['GET'], scopes: [`${audience}:read`], websocket: { maxLifetimeSeconds: 300, maxMessageBytes: 65_536 } },
      { name: `${audience}-pop`, pathPrefix: `/${audience}/pop`, methods: ['GET'], scopes: [`${audience}:read`], requireSenderConstraint: true },
      { name: `${audience}-read`, pathPrefix: `/${audience}`, methods: ['GET'], scopes: [`${audience}:read`] },
      { name: `${audience}-write`, pathPrefix: `/${audience}`, methods: ['POST', 'PUT', 'PATCH', 'DELETE'], scopes: [`${audience}:write`] },
    ],
  };
}

/** Runs the TLS demo until SIGINT/SIGTERM; never returns. */
export async function runTlsDemo(anyPorts: boolean): Promise<never> {
  const { start, stopAll, stopWhenOneExits } = createDemoProcesses();

  try {
    const ports = { ...FIXED };
    if (anyPorts) for (const k of Object.keys(ports) as (keyof typeof FIXED)[]) ports[k] = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'phantom-demo-tls-'));
    const ca = createTestCa(dir, 'Phantom Dev CA');
    // the edge: one certificate per SNI name (the first, with 127.0.0.1, is the default); its client certificate inside
    const api = ca.issue('api.phantom.test', { dns: ['api.phantom.test'], ips: ['127.0.0.1'], file: 'edge-api' });
    const shop = ca.issue('shop.phantom.test', { dns: ['shop.phantom.test'], file: 'edge-shop' });
    const edgeClient = ca.issue('edge', { dns: ['edge.phantom.internal'], uris: ['spiffe://phantom.demo/edge'], file: 'edge-client' });
    const orders = ca.issue('orders.micro.internal', { dns: ['orders.micro.internal'], ips: ['127.0.0.1'], file: 'micro-orders' });
    const inventory = ca.issue('inventory.micro.internal', { dns: ['inventory.micro.internal'], ips: ['127.0.0.1'], file: 'micro-inventory' });
    ca.issue('intruder', { uris: ['spiffe://phantom.demo/intruder'], file: 'intruder' });
    ca.issue('alice', { dns: ['alice.client'], file: 'alice' }); // a client certificate to bind a token to
    await writeDpopKey(join(dir, 'dpop-key.json'));
    const edgeYaml = {
      development: true, issuer: `https://127.0.0.1:${ports.edge}`, realm: 'phantom-demo',
      // clientAuth without a CA: any client certificate is asked for, none required (tokens bind to its thumbprint);
      // HTTP/2 for clients that offer it (curl does), HTTP/1.1 (and its WebSocket upgrades) for the others
      server: { port: ports.edge, tls: { certificates: [{ certFile: api.cert, keyFile: api.key, default: true }, { certFile: shop.cert, keyFile: shop.key }], clientAuth: { required: false }, http2: true } },
      admin: { port: ports.edgeAdmin },
      authorizationServer: { issuer: `http://127.0.0.1:${ports.as}`, clientId: 'edge-gateway', clientSecret: 'edge-secret', allowHttp: true },
      keys: { generate: true },
      proofOfPossession: { dpop: { enabled: true } },
      audiences: { orders: { scopes: ['orders:read', 'orders:write', 'orders:admin'] }, inventory: { scopes: ['inventory:read', 'inventory:write'] } },
      routes: [
        // WebSocket tunnels (README "WebSocket"): wss://api.phantom.test/orders/live/…, through mutual TLS to the echo backend
        { name: 'orders-live', pathPrefix: '/orders/live', upstream: `https://127.0.0.1:${ports.orders}`, audience: 'orders', scopes: ['orders:read'], websocket: { maxLifetimeSeconds: 300, maxMessageBytes: 65_536 } },
        { name: 'orders', pathPrefix: '/orders', upstream: `https://127.0.0.1:${ports.orders}`, audience: 'orders', scopes: ['orders:read', 'orders:write'], scopeMode: 'any' },
        { name: 'inventory', pathPrefix: '/inventory', upstream: `https://127.0.0.1:${ports.inventory}`, audience: 'inventory', scopes: ['inventory:read', 'inventory:write'], scopeMode: 'any' },
      ],
      upstream: { tls: { caFile: ca.cert, certFile: edgeClient.cert, keyFile: edgeClient.key } },
    };
    const edgeFile = join(dir, 'edge.yaml');
    writeFileSync(edgeFile, stringify(edgeYaml));
    const ordersFile = join(dir, 'micro-orders.yaml');
    writeFileSync(ordersFile, stringify(microYaml('orders', ports.orders, ports.ordersAdmin, ports.ordersBackend, ports.edge, ca.cert, orders.cert, orders.key)));
    const inventoryFile = join(dir, 'micro-inventory.yaml');
    writeFileSync(inventoryFile, stringify(microYaml('inventory', ports.inventory, ports.inventoryAdmin, ports.inventoryBackend, ports.edge, ca.cert, inventory.cert, inventory.key)));

    const as = await start('dev-as', '../../dev-as/src/main.js', ['--port', String(ports.as)]);
    await start('backend-orders', '../../demo-backend/src/main.js', ['--port', String(ports.ordersBackend), '--name', 'orders-backend']);
    await start('backend-inv', '../../demo-backend/src/main.js', ['--port', String(ports.inventoryBackend), '--name', 'inventory-backend']);
    const edge = await start('edge', '../../edge/src/main.js', ['--config', edgeFile]);
    // the micro gateways fetch the edge's JWKS over HTTPS: they trust the development CA
    const trustCa = { NODE_EXTRA_CA_CERTS: ca.cert };
    await start('micro-orders', '../../micro/src/main.js', ['--config', ordersFile], trustCa);
    await start('micro-inventory', '../../micro/src/main.js', ['--config', inventoryFile], trustCa);
    process.stdout.write(tlsWalkThrough({ dir, asUrl: as.url, edgeUrl: edge.url, edgePort: ports.edge, ordersPort: ports.orders, proofScript: here('./dpop-proof.js') }));
    stopWhenOneExits();
  } catch (err) {
    process.stderr.write(`demo failed to start: ${(err as Error).message}\n`);
    await stopAll(1);
  }
  return new Promise<never>(() => {});
}
