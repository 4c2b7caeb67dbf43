/**
 * `npm start`: the whole demo topology on 127.0.0.1 — the development
 * Authorization Server, the edge, two micro gateways (orders, inventory) and
 * their backends — with a copy-paste walk-through. Ctrl-C stops everything.
 */
import { fileURLToPath } from 'node:url';
import { runTlsDemo } from './tls-demo.js';
import { createDemoProcesses } from './demo-processes.js';
import { pdpArgs, policyWalkthrough } from './policy-step.js';

// `npm start -- --tls`: the same demo with HTTPS, SNI, mutual TLS inside and proof of possession (tls-demo.ts)
if (process.argv.includes('--tls')) await runTlsDemo(process.argv.includes('--any-ports'));

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const root = here('../../../../');
const { start, stopAll, stopWhenOneExits } = createDemoProcesses();

try {
  // the dev AS pushes each revocation to the edge's admin API (the secret of deploy/demo/edge.yaml's revocation.adminToken)
  process.env.DEV_AS_PUSH_SECRET ??= process.env.PHANTOM_REVOCATION_SECRET ?? 'demo-revocation-secret';
  const as = await start('dev-as', '../../dev-as/src/main.js', ['--port', '4000', '--push-revocations', 'http://127.0.0.1:9901']);
  await start('backend-orders', '../../demo-backend/src/main.js', ['--port', '9081', '--name', 'orders-backend']);
  await start('backend-inv', '../../demo-backend/src/main.js', ['--port', '9082', '--name', 'inventory-backend']);
  const pdp = await start('pdp', '../../pdp/src/main.js', pdpArgs(root));
  const edge = await start('edge', '../../edge/src/main.js', ['--config', `${root}deploy/demo/edge.yaml`]);
  await start('micro-orders', '../../micro/src/main.js', ['--config', `${root}deploy/demo/micro-orders.yaml`]);
  await start('micro-inventory', '../../micro/src/main.js', ['--config', `${root}deploy/demo/micro-inventory.yaml`]);

  const token = `TOKEN=$(curl -s -u demo-app:demo-secret -d grant_type=client_credentials -d 'scope=orders:read inventory:read' ${as.url}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`;
  process.stdout.write(`
Phantom Gateway demo is running:
  Authorization Server  ${as.url}            (clients: demo-app / demo-secret)
  Edge gateway          ${edge.url}            (JWKS: ${edge.url}/.well-known/jwks.json)
  Micro gateways        http://127.0.0.1:8081 (orders)   http://127.0.0.1:8082 (inventory)
  Backends              http://127.0.0.1:9081 (orders)   http://127.0.0.1:9082 (inventory)
  Policy Decision Point ${pdp.url}            (development AuthZEN PDP, rules: deploy/demo/pdp-rules.yaml)

Walk-through (copy-paste into another terminal):
  # 1. an opaque token from the AS (client credentials)
  ${token}
  echo "$TOKEN"          # opaque: nothing to read in it

  # 2. call the edge: the orders backend echoes the request, with the JWT it got and its decoded claims
  curl -s -H "Authorization: Bearer $TOKEN" ${edge.url}/orders/42

  # 3. no token → 401 with WWW-Authenticate; a malformed header → 400 invalid_request
  curl -si ${edge.url}/orders/42
  curl -si -H "Authorization: Bearer a b" ${edge.url}/orders/42

  # 4. the token has orders:read but not orders:write → 403 insufficient_scope (from the orders micro gateway)
  curl -si -X POST -H "Authorization: Bearer $TOKEN" ${edge.url}/orders

  # 5. the JWT for inventory carries only inventory scopes (least privilege)
  curl -s -H "Authorization: Bearer $TOKEN" ${edge.url}/inventory/widgets

  # 6. the orders micro gateway admits 20 requests per second per client: the rest get 429
  for i in $(seq 40); do curl -s -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $TOKEN" ${edge.url}/orders/1; done; echo
  curl -si -H "Authorization: Bearer $TOKEN" ${edge.url}/orders/1 | grep -i -E '^(HTTP|ratelimit|retry-after)'

${policyWalkthrough(7, edge.url, pdp.url)}
  # 8. revoke the token at the AS; it pushes the revocation to the edge, which refuses the token at once (401)
  curl -s -u demo-app:demo-secret -d token=$TOKEN ${as.url}/token/revocation
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" ${edge.url}/orders/1; echo

Press Ctrl-C to stop every process.
`);
  stopWhenOneExits();
} catch (err) {
  process.stderr.write(`demo failed to start: ${(err as Error).message}\n`);
  await stopAll(1);
}
