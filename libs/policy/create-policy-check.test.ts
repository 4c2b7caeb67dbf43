import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicyCheck, type PolicyRequest } from './create-policy-check.js';
import { createPolicyStats } from './policy-stats.js';
import { policySchema } from '../config/policy-schema.js';
import { GatewayError } from '../errors/index.js';
import { PdpFailure } from './post-json.js';
import type { PdpClient } from './evaluation.js';

const claims = { client_id: 'demo-app', scope: 'orders:read' };
const request = (): PolicyRequest => ({ method: 'GET', path: '/orders/1', requestId: 'r1' });
const pdp = (kind = 'authzen') => ({ kind, url: 'http://127.0.0.1:1', ...(kind === 'opa' ? { path: 'phantom/allow' } : {}) });
const isError = (code: string, reason: string) => (err: unknown) => err instanceof GatewayError && err.code === code && err.reason === reason;

function check(policy: unknown, client: PdpClient) {
  const stats = createPolicyStats();
  return { stats, check: createPolicyCheck({ policy: policySchema.parse(policy), route: 'orders', audience: 'orders', stats, pdp: client })! };
}

test('no claims and no pdp: no step at all', () => {
  assert.equal(createPolicyCheck({ policy: policySchema.parse({}), route: 'r', audience: 'a', stats: createPolicyStats() }), undefined);
  assert.equal(createPolicyCheck({ policy: undefined, route: 'r', audience: 'a', stats: createPolicyStats() }), undefined);
});

test('claim rules run first: a claim denial never reaches the PDP', () => {
  let calls = 0;
  const { check: c } = check({ claims: [{ name: 'partner-only', claim: 'client_id', equals: 'partner' }], pdp: pdp() }, () => { calls++; return Promise.resolve({ decision: true, by: 'authzen' }); });
  assert.throws(() => c(claims, request()), isError('access_denied', 'claim_rule:partner-only'));
  assert.equal(calls, 0);
});

test('PDP allow admits and records the decision; the repeat is a synchronous cached allow', async () => {
  const { check: c, stats } = check({ pdp: pdp() }, () => Promise.resolve({ decision: true, by: 'authzen' }));
  const first = request();
  await c(claims, first);
  assert.equal(first.policy, 'pdp:authzen');
  const second = request();
  assert.equal(c(claims, second), undefined);
  assert.equal(second.policy, 'pdp:authzen(cached)');
  assert.deepEqual([stats.decisions, stats.denials, stats.calls, stats.failures], [2, 0, 1, 0]);
});

test('PDP deny is 403 access_denied naming the PDP, cached too', async () => {
  const { check: c, stats } = check({ pdp: pdp('opa') }, () => Promise.resolve({ decision: false, by: 'opa' }));
  await assert.rejects(c(claims, request()) as Promise<void>, isError('access_denied', 'pdp:opa'));
  assert.throws(() => c(claims, request()), isError('access_denied', 'pdp:opa'));
  assert.equal(stats.denials, 2);
});

test('PDP failure: closed (default) is 503 policy_unavailable with Retry-After and is not cached; open admits explicitly', async () => {
  let calls = 0;
  const down: PdpClient = () => { calls++; return Promise.reject(new PdpFailure('timeout', 'slow')); };
  const closed = check({ pdp: pdp() }, down);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(closed.check(claims, request()) as Promise<void>, (err) => isError('policy_unavailable', 'pdp:authzen:timeout')(err) && (err as GatewayError).status === 503 && (err as GatewayError).retryAfter === 1);
  }
  assert.equal(calls, 2);
  assert.equal(closed.stats.failures, 2);
  const open = check({ pdp: { ...pdp(), failMode: 'open' } }, down);
  const r = request();
  await open.check(claims, r);
  assert.equal(r.policy, 'pdp:authzen(fail-open)');
});
