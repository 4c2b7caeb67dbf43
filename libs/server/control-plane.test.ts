import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createControlPlane } from './control-plane.js';

const app = createControlPlane('test', {
  '/healthz': () => new Response('{"status":"ok"}', { headers: { 'content-type': 'application/json' } }),
  '/broken': () => { throw new Error('secret detail'); },
});

test('control plane: GET and HEAD answer; unknown path 404 and other methods 405 with Allow, as JSON errors; a failure reveals nothing', async () => {
  assert.equal((await app.request('/healthz')).status, 200);
  assert.equal((await app.request('/healthz', { method: 'HEAD' })).status, 200);

  const missing = await app.request('/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: 'not_found', error_description: 'no such endpoint' });

  const post = await app.request('/healthz', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await post.json() as { error: string }).error, 'method_not_allowed');

  const broken = await app.request('/broken');
  assert.equal(broken.status, 500);
  const body = await broken.text();
  assert.equal(JSON.parse(body).error, 'internal_error');
  assert.doesNotMatch(body, /secret detail/);
});
