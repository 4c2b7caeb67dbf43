import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SCRIPTS, adminUrl, freePort, getToken, metric, microConfig, mintedJwt, received, startTopology, tempDir, waitForLine, writeYaml, type Topology,
} from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import { spawnProgram } from '../../libs/process/index.js';

describe('operating the gateways', () => {
  let t: Topology;
  before(async () => { t = await startTopology(); });
  after(async () => { await t?.stop(); });

  test('admin listener: healthz, readyz, version, 404 JSON', async () => {
    for (const program of [t.edge, t.micro]) {
      const admin = adminUrl(program);
      assert.equal((await send(`${admin}/healthz`)).status, 200);
      const ready = await send(`${admin}/readyz`);
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.json().status, 'ready');
      const version = (await send(`${admin}/version`)).json();
      assert.match(String(version.version), /^\d+\.\d+\.\d+$/);
      const nf = await send(`${admin}/nope`);
      assert.equal(nf.status, 404);
      assert.equal(nf.json().error, 'not_found');
    }
  });

  test('metrics count requests by route and status, introspection calls, cache hits and signatures', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const callsBefore = await metric(t.edge, 'phantom_introspection_calls_total');
    const mintsBefore = await metric(t.edge, 'phantom_mints_total');
    for (let i = 0; i < 5; i++) assert.equal((await send(`${t.edge.url}/orders/${i}`, { headers: bearer(token) })).status, 200);
    await send(`${t.edge.url}/orders/1`);
    assert.equal(await metric(t.edge, 'phantom_introspection_calls_total') - callsBefore, 1);
    assert.equal(await metric(t.edge, 'phantom_mints_total') - mintsBefore, 1);
    assert.ok(await metric(t.edge, 'phantom_requests_total', { route: 'orders', status: '200' }) >= 5);
    assert.ok(await metric(t.edge, 'phantom_refusals_total', { code: 'unauthorized', reason: 'no_authorization' }) >= 1);
    assert.ok(await metric(t.micro, 'phantom_verification_cache_hits_total') >= 4);
    assert.ok(await metric(t.micro, 'phantom_jwks_fetches_total') >= 1);
    assert.ok(await metric(t.edge, 'phantom_request_duration_seconds_count', { route: 'orders' }) >= 5);
    assert.ok(await metric(t.edge, 'phantom_upstream_duration_seconds_count', { route: 'orders' }) >= 5);
    assert.ok(await metric(t.micro, 'phantom_upstream_duration_seconds_count', { route: 'orders-read' }) >= 5);
  });

  test('trace context: a valid traceparent continues through both hops, an absent one is created', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const given = await send(`${t.edge.url}/orders/trace`, { headers: { ...bearer(token), traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'vendor=x' } });
    const seen = given.json<{ headers: Record<string, string> }>().headers;
    assert.match(seen.traceparent!, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.notEqual(seen.traceparent, `00-${traceId}-00f067aa0ba902b7-01`, 'each hop has its own parent-id');
    assert.equal(seen.tracestate, 'vendor=x');
    const created = (await send(`${t.edge.url}/orders/trace2`, { headers: { ...bearer(token), traceparent: 'garbage' } })).json<{ headers: Record<string, string> }>().headers;
    assert.match(created.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const edgeLine = await waitForLine(t.edge, traceId);
    const microLine = await waitForLine(t.micro, traceId);
    for (const line of [edgeLine, microLine]) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.equal(entry.trace_id, traceId);
      for (const field of ['request_id', 'method', 'path', 'route', 'status', 'duration_ms', 'upstream_ms', 'client_id', 'cache']) assert.ok(field in entry, `access log has ${field}`);
    }
  });

  test('a micro gateway is not ready until it has the JWKS, and answers 503 meanwhile', async () => {
    const dir = tempDir();
    const port = await freePort();
    const micro = await spawnProgram({ name: 'micro-nokeys', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'm.yaml', microConfig(`http://127.0.0.1:${await freePort()}`, port, t.backend.url))] });
    try {
      const ready = await send(`${adminUrl(micro)}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.json().checks, { jwksLoaded: false, notDraining: true });
      const minted = await mintedJwt(t.edge.url, await getToken(t.as, { scope: 'orders:read' }));
      const reply = await send(`${micro.url}/orders/1`, { headers: bearer(minted) });
      assert.equal(reply.status, 503);
      assert.equal(reply.json().error, 'jwks_unavailable');
      assert.ok(reply.headers['retry-after']);
    } finally { await micro.stop(); }
  });

  test('SIGTERM: readyz turns 503, in-flight requests finish, new connections are refused, exit 0', async () => {
    const dir = tempDir();
    const port = await freePort();
    const micro = await spawnProgram({ name: 'micro-drain', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'm.yaml', microConfig(new URL(t.edge.url).origin, port, t.backend.url))] });
    await waitForLine(micro, 'jwks fetched');
    const minted = await mintedJwt(t.edge.url, await getToken(t.as, { scope: 'orders:read' }));
    const arrivedBefore = (await received(t.backend)).length;
    const slow = Array.from({ length: 3 }, (_, i) => send(`${micro.url}/orders/${i}?delay=700`, { headers: bearer(minted) }));
    // the three are in flight at the backend (polled: the machine may be slow)
    for (let deadline = Date.now() + 5000; (await received(t.backend)).length < arrivedBefore + 3;) {
      if (Date.now() > deadline) assert.fail('the slow requests did not reach the backend');
      await new Promise((r) => setTimeout(r, 10));
    }
    micro.child.kill('SIGTERM');
    await waitForLine(micro, '"draining"');
    // the admin listener stays up until the drain is over: readiness says "not ready" meanwhile
    const ready = await send(`${adminUrl(micro)}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(ready.json<{ checks: { notDraining: boolean } }>().checks.notDraining, false);
    await assert.rejects(send(`${micro.url}/orders/late`, { headers: bearer(minted) }));
    const done = await Promise.all(slow);
    assert.deepEqual(done.map((r) => r.status), [200, 200, 200]);
    assert.equal(await micro.exited, 0);
  });
});
