import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { rawAnswer, rawHttpServer } from '../../test/support/raw-server.js';
import { createJwksCache, type JwksEvent } from './jwks-cache.js';

test('the JWKS cache\'s default fetch (the micro\'s, towards the edge) reads at most 1 MiB, decoded: a larger key set or a gzip bomb fails the fetch; a small gzip one is read', async (t) => {
  const small = gzipSync('{"keys":[]}');
  const bomb = gzipSync(`{"keys":[],"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`); // ~16 KB of gzip, 16 MiB decoded
  const big = `{"keys":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
  const answers: Record<string, Buffer> = {
    '/small': rawAnswer('200 OK', ['content-type: application/json', 'content-encoding: gzip'], small),
    '/bomb': rawAnswer('200 OK', ['content-type: application/json', 'content-encoding: gzip'], bomb),
    '/big': rawAnswer('200 OK', ['content-type: application/json'], big),
  };
  const server = await rawHttpServer((socket, head) => { socket.write(answers[head.split(' ')[1]!]!); });
  t.after(server.close);
  const outcomes: Record<string, [boolean, string]> = {};
  for (const path of Object.keys(answers)) {
    const events: JwksEvent[] = [];
    const jwks = createJwksCache({
      url: `${server.origin}${path}`, timeoutMs: 5000, minAgeSeconds: 60, maxAgeSeconds: 60, unknownKidCooldownSeconds: 10, maxStaleSeconds: 60, algorithms: ['ES256'],
      onEvent: (e) => events.push(e),
    });
    outcomes[path] = [await jwks.refresh(), events.map((e) => e.type).join()];
  }
  assert.deepEqual(outcomes, { '/small': [true, 'fetched'], '/bomb': [false, 'fetch_failed'], '/big': [false, 'fetch_failed'] });
});
