import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { edgeConfig, freePort, getToken, metric, microConfig, received, SCRIPTS, startBackend, startDevAs, startEdge, tempDir, waitForLine, writeYaml } from '../support/topology.js';
import { bearer, send } from '../support/http.js';

async function startPdp(args: string[], rules?: unknown): Promise<Program> {
  const extra = rules ? ['--rules', writeYaml(tempDir(), 'rules.yaml', rules)] : [];
  return spawnProgram({ name: 'pdp', script: SCRIPTS.pdp, args: ['--port', '0', ...extra, ...args] });
}
const pdpStats = async (pdp: Program) => (await fetch(`${pdp.url}/_dev/stats`)).json() as Promise<{ evaluations: number; requests: number; unauthorized: number; last: Record<string, unknown> }>;

/** A real HTTP server answering every POST with this JSON text (a broken PDP, or OPA's Data API shape). */
async function answering(body: string): Promise<{ url: string; server: Server; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += String(c);
    bodies.push({ url: req.url, body: JSON.parse(text) as unknown });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, bodies };
}

interface Topology { as: Program; backend: Program; edge: Program; micro: Program; stop(): Promise<void> }

/** AS → edge → micro → backend (as startTopology), with the edge routes built from the micro's URL. */
async function startPolicyTopology(edgeRoutes: (microUrl: string) => unknown[], micro: Record<string, unknown>): Promise<Topology> {
  const dir = tempDir();
  const [as, backend, edgePort, microPort] = await Promise.all([startDevAs(), startBackend(), freePort(), freePort()]);
  const started: Program[] = [as, backend];
  const stop = () => Promise.all(started.map((p) => p.stop())).then(() => undefined);
  try {
    const edgeUrl = `http://127.0.0.1:${edgePort}`, microUrl = `http://127.0.0.1:${microPort}`;
    const edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', { ...edgeConfig(as.url, edgePort, microUrl), routes: edgeRoutes(microUrl) })] });
    started.push(edge);
    const m = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url, micro))] });
    started.push(m);
    return { as, backend, edge, micro: m, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

describe('policies on real processes: claim rules and the dev AuthZEN PDP at the edge and the micro; PDP failures; OPA adapter', () => {
  let t: Topology;
  let pdp: Program;
  // a second edge, straight in front of the backend, whose routes ask broken PDPs
  let edge: Program, slow: Program, guarded: Program;
  let garbage: Awaited<ReturnType<typeof answering>>, opa: Awaited<ReturnType<typeof answering>>;
  before(async () => {
    [slow, guarded, garbage, opa] = await Promise.all([
      startPdp(['--delay-ms', '3000'], { default: true }), startPdp(['--token', 'right'], { default: true }),
      answering('{"decision":"yes"}'), answering('{"result":{"allow":true}}'),
    ]);
    pdp = await startPdp(['--token', 'pdp-secret'], {
      rules: [
        { resourcePrefix: '/orders/demo-app/secret', decision: false },
        { subjectType: 'client', subjectId: 'demo-app', action: 'can_read', resourceType: 'orders', resourcePrefix: '/orders/demo-app', decision: true },
        { subjectId: 'demo-app', action: 'POST', decision: true },
      ],
    });
    t = await startPolicyTopology((microUrl) => [{
          name: 'orders', pathPrefix: '/orders', upstream: microUrl, audience: 'orders', scopes: ['orders:read', 'orders:write'], scopeMode: 'any',
          policy: {
            pathTemplate: '/orders/:client',
            claims: [{ name: 'own-orders', claim: 'client_id', equalsParam: 'client' }],
            pdp: { url: pdp.url, bearerToken: 'pdp-secret', actions: { GET: 'can_read' } },
          },
        }], {
        routes: [
          { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'], policy: { claims: [{ name: 'known-sub', claim: 'sub', in: ['demo-app'] }], decisionHeader: 'X-Phantom-Policy' } },
          { name: 'orders-write', pathPrefix: '/orders', methods: ['POST'], scopes: ['orders:write'], policy: { claims: [{ name: 'strong-auth', claim: 'acr', atLeast: 'loa2', order: ['loa1', 'loa2', 'loa3'] }] } },
        ],
    });
    const down = `http://127.0.0.1:${await freePort()}`;
    const route = (name: string, pdp: object) => ({
      name, pathPrefix: `/${name}`, upstream: t.backend.url, audience: 'orders', scopes: ['orders:read'], policy: { pdp, decisionHeader: 'X-Phantom-Policy' },
    });
    edge = await startEdge(t.as.url, t.backend.url, {
      routes: [
        route('down', { url: down }),
        route('slow', { url: slow.url, timeoutMs: 300 }),
        route('garbage', { url: garbage.url }),
        route('badauth', { url: guarded.url, bearerToken: 'wrong' }),
        route('open', { url: down, failMode: 'open' }),
        route('opa', { kind: 'opa', url: opa.url, path: 'phantom/allow' }),
      ],
    });
  });
  after(async () => {
    await Promise.all([t?.stop(), ...[pdp, edge, slow, guarded].map((p) => p?.stop())]);
    for (const s of [garbage, opa]) { s?.server.closeAllConnections(); s?.server.close(); }
  });

  test('allowed by the claim rule and the PDP: forwarded; the backend sees the micro decision header; the PDP got the AuthZEN request', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const reply = await send(`${t.edge.url}/orders/demo-app/1`, { headers: { ...bearer(token), 'x-phantom-policy': 'forged' } });
    assert.equal(reply.status, 200, reply.text);
    const seen = (await received(t.backend)).at(-1)!;
    assert.equal(seen.url, '/orders/demo-app/1');
    assert.equal(seen.headers['x-phantom-policy'], 'claims');
    const { last } = await pdpStats(pdp);
    assert.deepEqual(last, {
      subject: { type: 'client', id: 'demo-app', properties: { client_id: 'demo-app' } },
      action: { name: 'can_read', properties: { method: 'GET' } },
      resource: { type: 'orders', id: '/orders/demo-app/1', properties: { route: 'orders' } },
      context: { scopes: ['orders:read'], client_id: 'demo-app', audience: 'orders' },
    });
    const line = await waitForLine(t.edge, '"path":"/orders/demo-app/1"');
    assert.equal(JSON.parse(line).policy, 'claims+pdp:authzen');
  });

  test('edge claim rule denies another client\'s path: 403 access_denied naming the rule; neither the PDP nor the backend is asked', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const [pdpBefore, backendBefore] = [(await pdpStats(pdp)).requests, (await received(t.backend)).length];
    const reply = await send(`${t.edge.url}/orders/globex/1`, { headers: bearer(token) });
    assert.equal(reply.status, 403);
    assert.deepEqual(reply.json(), { error: 'access_denied', error_description: 'policy rule "own-orders" does not allow this request' });
    assert.equal((await pdpStats(pdp)).requests, pdpBefore);
    assert.equal((await received(t.backend)).length, backendBefore);
    assert.match(await waitForLine(t.edge, '"reason":"claim_rule:own-orders"'), /"code":"access_denied"/);
  });

  test('the PDP denies: 403 access_denied naming the PDP; the backend is not called', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const backendBefore = (await received(t.backend)).length;
    const reply = await send(`${t.edge.url}/orders/demo-app/secret`, { headers: bearer(token) });
    assert.equal(reply.status, 403);
    assert.deepEqual(reply.json(), { error: 'access_denied', error_description: 'the policy decision point (authzen) does not allow this request' });
    assert.equal((await received(t.backend)).length, backendBefore);
    assert.ok(await metric(t.edge, 'phantom_policy_denials_total') >= 1);
  });

  test('the micro enforces its own rules: a POST the edge admits is refused at the micro by "strong-auth"', async () => {
    const token = await getToken(t.as, { scope: 'orders:write' });
    const backendBefore = (await received(t.backend)).length;
    const reply = await send(`${t.edge.url}/orders/demo-app/new`, { method: 'POST', headers: bearer(token), body: '{}' });
    assert.equal(reply.status, 403);
    assert.deepEqual(reply.json(), { error: 'access_denied', error_description: 'policy rule "strong-auth" does not allow this request' });
    assert.match(await waitForLine(t.micro, '"reason":"claim_rule:strong-auth"'), /"status":403/);
    assert.equal((await received(t.backend)).length, backendBefore);
  });

  test('one PDP evaluation per distinct tuple under concurrency (counted at the PDP); later requests hit the cache', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    await send(`${t.edge.url}/orders/demo-app/warm`, { headers: bearer(token) }); // the token's introspection, cached
    const before = (await pdpStats(pdp)).evaluations;
    const replies = await Promise.all(Array.from({ length: 20 }, () => send(`${t.edge.url}/orders/demo-app/concurrent`, { headers: bearer(token) })));
    assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200));
    assert.equal((await pdpStats(pdp)).evaluations, before + 1);
    const again = await Promise.all(Array.from({ length: 5 }, () => send(`${t.edge.url}/orders/demo-app/concurrent`, { headers: bearer(token) })));
    assert.deepEqual(again.map((r) => r.status), Array(5).fill(200));
    assert.equal((await pdpStats(pdp)).evaluations, before + 1);
    assert.ok(await metric(t.edge, 'phantom_policy_cache_hits_total') >= 5);
  });

  test('PDP down, slow, garbage or refusing our credentials → 503 policy_unavailable with Retry-After; the backend is never called', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const backendBefore = (await received(t.backend)).length;
    for (const name of ['down', 'slow', 'garbage', 'badauth']) {
      const reply = await send(`${edge.url}/${name}/1`, { headers: bearer(token) });
      assert.equal(reply.status, 503, name);
      assert.equal(reply.headers['retry-after'], '1', name);
      assert.equal(reply.json().error, 'policy_unavailable', name);
    }
    assert.equal((await received(t.backend)).length, backendBefore);
    assert.equal((await pdpStats(guarded)).unauthorized, 1);
    assert.match(await waitForLine(edge, '"code":"policy_unavailable","reason":"pdp:authzen:timeout","msg":"request failed"'), /"status":503/);
    assert.equal(await metric(edge, 'phantom_policy_pdp_failures_total'), 4);
    assert.ok(!edge.lines.some((l) => l.includes(token)), 'no raw token in the logs');
  });

  test('failMode open admits when the PDP is down, and says so to the backend', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const reply = await send(`${edge.url}/open/1`, { headers: bearer(token) });
    assert.equal(reply.status, 200);
    assert.equal((await received(t.backend)).at(-1)!.headers['x-phantom-policy'], 'pdp:authzen(fail-open)');
  });

  test('OPA adapter: POST /v1/data/phantom/allow with the evaluation as input; the decision reaches the backend', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const reply = await send(`${edge.url}/opa/7`, { headers: bearer(token) });
    assert.equal(reply.status, 200);
    assert.equal((await received(t.backend)).at(-1)!.headers['x-phantom-policy'], 'pdp:opa');
    const [call] = opa.bodies as { url: string; body: { input: { resource: { id: string } } } }[];
    assert.equal(call!.url, '/v1/data/phantom/allow');
    assert.equal(call!.body.input.resource.id, '/opa/7');
  });
});
