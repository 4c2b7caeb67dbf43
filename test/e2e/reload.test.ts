import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { edgeConfig, getToken, microConfig, startTopology, waitForLine, writeYaml, type Topology } from '../support/topology.js';
import { bearer, send } from '../support/http.js';

describe('hot reload under load', () => {
  let t: Topology;
  before(async () => { t = await startTopology(); });
  after(async () => { await t?.stop(); });

  test('a new route appears at both hops without a failed request; an invalid file is refused and the old one keeps serving', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    assert.equal((await send(`${t.edge.url}/reports/1`, { headers: bearer(token) })).status, 404);
    const statuses = new Map<number, number>();
    let stop = false;
    const traffic = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const r = await send(`${t.edge.url}/orders/1`, { headers: bearer(token) });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    });
    const ok = () => statuses.get(200) ?? 0;
    const atLeast = async (n: number) => { while (ok() < n && statuses.size <= 1) await new Promise((r) => setTimeout(r, 10)); };
    await atLeast(20); // traffic is flowing before the reload (polled, not slept: the machine may be slow)

    // the files the topology started with, plus a /reports route at both hops
    const edgeUrl = new URL(t.edge.url);
    const microUrl = new URL(t.micro.url);
    const edgeDoc = edgeConfig(t.as.url, Number(edgeUrl.port), microUrl.origin);
    edgeDoc.routes = [...(edgeDoc.routes as object[]), { name: 'reports', pathPrefix: '/reports', upstream: microUrl.origin, audience: 'orders', scopes: ['orders:read'] }];
    const microDoc = microConfig(edgeUrl.origin, Number(microUrl.port), t.backend.url);
    microDoc.routes = [...(microDoc.routes as object[]), { name: 'reports', pathPrefix: '/reports', methods: ['GET'], scopes: ['orders:read'] }];
    writeYaml(t.dir, 'micro.yaml', microDoc);
    t.micro.child.kill('SIGHUP');
    await waitForLine(t.micro, 'configuration reloaded');
    writeYaml(t.dir, 'edge.yaml', edgeDoc);
    t.edge.child.kill('SIGHUP');
    await waitForLine(t.edge, 'configuration reloaded');
    const reports = await send(`${t.edge.url}/reports/1`, { headers: bearer(token) });
    assert.equal(reports.status, 200);
    assert.equal(reports.json<{ request: string }>().request, 'GET /reports/1 HTTP/1.1');

    // an invalid file: refused with the error named, the running configuration stays (also picked up by the file watch)
    writeFileSync(join(t.dir, 'edge.yaml'), 'routes: 42\n');
    const refused = await waitForLine(t.edge, 'configuration reload refused', 5000);
    assert.match(refused, /routes: expected array, received number/);
    assert.equal((await send(`${t.edge.url}/reports/2`, { headers: bearer(token) })).status, 200);
    await atLeast(ok() + 20); // and keeps flowing after it
    stop = true;
    await Promise.all(traffic);
    assert.deepEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
    assert.ok(ok() >= 40);
  });
});
