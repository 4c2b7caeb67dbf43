import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { exportJWK } from 'jose';
import { rawAnswer, rawHttpServer } from '../../test/support/raw-server.js';
import { GatewayError } from '../errors/index.js';
import { recipientFromJwks } from './encrypt-for-audience.js';

test('a micro\'s encryption keys are read at most 1 MiB, decoded, and never through a redirect: a larger key set, a gzip bomb or a 302 is 502 encryption_key_unavailable; a small gzip one is read', async (t) => {
  const jwk = { ...await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'enc-1' };
  const small = gzipSync(JSON.stringify({ keys: [jwk] }));
  const bomb = gzipSync(`{"keys":[${JSON.stringify(jwk)}],"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`); // ~16 KB of gzip, 16 MiB decoded
  const big = `{"keys":[${JSON.stringify(jwk)}],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
  const answers: Record<string, Buffer> = {
    '/small': rawAnswer('200 OK', ['content-type: application/json', 'content-encoding: gzip'], small),
    '/bomb': rawAnswer('200 OK', ['content-type: application/json', 'content-encoding: gzip'], bomb),
    '/big': rawAnswer('200 OK', ['content-type: application/json'], big),
    '/moved': rawAnswer('302 Found', ['location: /small']),
  };
  const server = await rawHttpServer((socket, head) => { socket.write(answers[head.split(' ')[1]!]!); });
  t.after(server.close);
  const outcomes: Record<string, string> = {};
  for (const path of Object.keys(answers)) {
    const recipient = recipientFromJwks(`${server.origin}${path}`, 'ECDH-ES+A256KW', { timeoutMs: 5000, maxAgeSeconds: 60 });
    outcomes[path] = await recipient().then((k) => `key ${k.kid}`, (e: unknown) => (e instanceof GatewayError ? `${e.status} ${e.reason}` : `thrown ${String(e)}`));
  }
  assert.deepEqual(outcomes, { '/small': 'key enc-1', '/bomb': '502 encryption_key_unavailable', '/big': '502 encryption_key_unavailable', '/moved': '502 encryption_key_unavailable' });
  assert.deepEqual(server.heads.map((h) => h.split(' ')[1]), ['/small', '/bomb', '/big', '/moved'], 'the redirect was not followed');
});
