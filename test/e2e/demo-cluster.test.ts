import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dist } from '../support/topology.js';

test('npm run demo:cluster (--once): Redis, AS, 2 edges, 2×2 micros; one introspection for a token used on both edges, its revocation refused everywhere', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [dist('apps/demo/src/cluster.js'), '--once', '--free-ports'], { timeout: 90_000 });
  assert.match(stdout, /10 concurrent requests spread over both edges → 10 × 200,\n\s+1 introspection call\(s\) at the AS/);
  assert.match(stdout, /refused \(401\) by both edges with the opaque token and by all four micro gateways\n\s+with the JWTs minted from it, \d+ ms after the revocation call/);
});
