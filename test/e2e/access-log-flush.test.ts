/**
 * No lost lines: with the access log written asynchronously in batches, every
 * request a gateway answered leaves exactly one access line, across a SIGHUP
 * reload and a SIGTERM drain that starts while requests are in flight.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { getToken, metric, startTopology, waitForLine, type Topology } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import type { Program } from '../../libs/process/index.js';

const accessLines = (p: Program) => p.lines.filter((l) => l.startsWith('{') && (JSON.parse(l) as { msg?: string }).msg === 'request');
/** the process has exited and its stdout has been read to the end */
async function ended(p: Program): Promise<number | null> {
  const stdout = p.child.stdout!;
  const closed = stdout.closed ? Promise.resolve() : once(stdout, 'close');
  const code = await p.exited;
  await closed;
  return code;
}

describe('access log: no lost lines', () => {
  let t: Topology;
  before(async () => { t = await startTopology(); });
  after(async () => { await t?.stop(); });

  test('every answered request leaves one access line at each hop, across a SIGHUP reload and a SIGTERM drain with requests in flight', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    let ok = 0;
    let stop = false;
    const ids = new Set<string>();
    const traffic = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const id = `flush-${w}-${i}`;
        // refused or reset once the edge stops listening: those were not answered, and are not counted
        const r = await send(`${t.edge.url}/orders/${i}`, { headers: { ...bearer(token), 'x-request-id': id } }).catch(() => undefined);
        if (r?.status === 200) { ok++; ids.add(id); } else if (r === undefined) return;
      }
    });
    while (ok < 150) await new Promise((r) => setTimeout(r, 20));
    for (const p of [t.edge, t.micro]) p.child.kill('SIGHUP');
    await waitForLine(t.edge, 'configuration reloaded');
    await waitForLine(t.micro, 'configuration reloaded');
    const beforeTerm = ok;
    while (ok < beforeTerm + 150) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await metric(t.edge, 'phantom_log_lines_dropped_total'), 0);
    // drain the edge while traffic still flows, then the micro behind it
    t.edge.child.kill('SIGTERM');
    assert.equal(await ended(t.edge), 0);
    stop = true;
    await Promise.all(traffic);
    t.micro.child.kill('SIGTERM');
    assert.equal(await ended(t.micro), 0);

    const edgeIds = accessLines(t.edge).map((l) => (JSON.parse(l) as { request_id: string; status: number }))
      .filter((l) => l.status === 200).map((l) => l.request_id);
    assert.ok(ok > 300, `${ok} requests answered`);
    assert.equal(edgeIds.length, ok, 'edge: one 200 line per answered request');
    assert.deepEqual(new Set(edgeIds), ids);
    // the micro answered each of those: one line each, under the same request id
    const microIds = accessLines(t.micro).map((l) => (JSON.parse(l) as { request_id: string }).request_id).filter((id) => ids.has(id));
    assert.equal(microIds.length, ok, 'micro: one line per request it answered');
    assert.deepEqual(new Set(microIds), ids);
    assert.ok(t.edge.lines.some((l) => l.includes('"msg":"stopped"')) && t.micro.lines.some((l) => l.includes('"msg":"stopped"')));
  });
});
