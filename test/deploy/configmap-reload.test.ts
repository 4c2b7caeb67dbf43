import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { SCRIPTS, edgeConfig, freePort, merge, tempDir, waitForLine } from '../support/topology.js';
import { writeKubeletVolume } from '../support/kubelet-volume.js';

async function statusOf(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('configuration mounted from a ConfigMap (kubelet ..data symlink swap)', () => {
  const started: Program[] = [];
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  test('a running edge reloads when kubelet swaps ..data to a new timestamped directory', async () => {
    const dir = join(tempDir(), 'config');
    const port = await freePort();
    const base = edgeConfig('http://127.0.0.1:1', port, 'http://127.0.0.1:2');
    writeKubeletVolume(dir, { 'edge.yaml': stringify(base) });
    assert.ok(lstatSync(join(dir, 'edge.yaml')).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, 'edge.yaml')), '..data/edge.yaml');
    const first = readlinkSync(join(dir, '..data'));

    const edge = await spawnProgram({ name: 'cm-edge', script: SCRIPTS.edge, args: ['--config', join(dir, 'edge.yaml')] });
    started.push(edge);
    const url = `${edge.url}/billing/1`;
    assert.equal(await statusOf(url), 404, 'no billing route yet');

    // the update adds a route; the file path the edge watches never changes, only where ..data points
    const routes = [...(base.routes as object[]), { name: 'billing', pathPrefix: '/billing', upstream: 'http://127.0.0.1:2', audience: 'orders', scopes: ['orders:read'] }];
    writeKubeletVolume(dir, { 'edge.yaml': stringify(merge(base, { routes })) });
    assert.notEqual(readlinkSync(join(dir, '..data')), first);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('..2')).length, 1, 'the old payload is gone, as kubelet leaves it');

    const line = await waitForLine(edge, 'configuration reloaded', 10_000);
    assert.equal((JSON.parse(line) as { routes: number }).routes, 3);
    assert.equal(await statusOf(url), 401, 'the new route answers (no token: 401, not 404)');

    // a second swap that breaks the file is refused and the running configuration keeps serving
    writeKubeletVolume(dir, { 'edge.yaml': 'routes: [\n' });
    await waitForLine(edge, 'configuration reload refused', 10_000);
    assert.equal(await statusOf(url), 401);
  });
});
