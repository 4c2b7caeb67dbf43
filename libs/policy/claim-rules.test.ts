import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileClaimRules, compilePathTemplate } from './claim-rules.js';
import { policySchema } from '../config/policy-schema.js';
import { parseConfig, ConfigError } from '../config/index.js';
import { GatewayError } from '../errors/index.js';

const rules = (doc: unknown) => policySchema.parse(doc);
const denied = (name: string) => (err: unknown) => {
  assert.ok(err instanceof GatewayError);
  assert.equal(err.code, 'access_denied');
  assert.equal(err.status, 403);
  assert.equal(err.reason, `claim_rule:${name}`);
  assert.match(err.message, new RegExp(`"${name.replace(/[[\]]/g, '\\$&')}"`));
  return true;
};

test('equalsParam: the tenant claim must equal the path parameter; other tenants are denied, naming the rule only', () => {
  const p = rules({ pathTemplate: '/orders/:tenant', claims: [{ name: 'own-tenant', claim: 'tenant', equalsParam: 'tenant' }] });
  const check = compileClaimRules(p.claims, p.pathTemplate)!;
  check({ tenant: 'acme' }, { path: '/orders/acme/42' });
  check({ tenant: 'acme' }, { path: '/orders/acme' });
  assert.throws(() => check({ tenant: 'acme' }, { path: '/orders/globex/42' }), (err) => denied('own-tenant')(err) && !(err as Error).message.includes('acme') && !(err as Error).message.includes('globex'));
  assert.throws(() => check({ tenant: 'acme' }, { path: '/orders' }), denied('own-tenant'));
  assert.throws(() => check({}, { path: '/orders/acme' }), denied('own-tenant'));
  assert.throws(() => check({ tenant: { toString: () => 'acme' } }, { path: '/orders/acme' }), denied('own-tenant'));
});

test('equals and in: literal comparison, any element of an array claim; no type coercion', () => {
  const p = rules({ claims: [{ claim: 'client_id', in: ['demo-app', 'partner'] }, { name: 'aud', claim: 'aud', equals: 'orders' }, { name: 'flag', claim: 'ext.beta', equals: true }] });
  const check = compileClaimRules(p.claims)!;
  check({ client_id: 'partner', aud: ['x', 'orders'], ext: { beta: true } }, { path: '/' });
  assert.throws(() => check({ client_id: 'other', aud: 'orders', ext: { beta: true } }, { path: '/' }), denied('claims[0]'));
  assert.throws(() => check({ client_id: 'demo-app', aud: 'inventory', ext: { beta: true } }, { path: '/' }), denied('aud'));
  assert.throws(() => check({ client_id: 'demo-app', aud: 'orders', ext: { beta: 'true' } }, { path: '/' }), denied('flag'));
});

test('atLeast: ordered values (acr levels); below or unknown levels are denied', () => {
  const p = rules({ claims: [{ name: 'strong-auth', claim: 'acr', atLeast: 'loa2', order: ['loa1', 'loa2', 'loa3'] }] });
  const check = compileClaimRules(p.claims)!;
  check({ acr: 'loa2' }, { path: '/' });
  check({ acr: 'loa3' }, { path: '/' });
  assert.throws(() => check({ acr: 'loa1' }, { path: '/' }), denied('strong-auth'));
  assert.throws(() => check({ acr: 'loa9' }, { path: '/' }), denied('strong-auth'));
  assert.throws(() => check({}, { path: '/' }), denied('strong-auth'));
});

test('exists: present / absent; a dotted path never reads the prototype', () => {
  const p = rules({ claims: [{ name: 'has-sub', claim: 'sub', exists: true }, { name: 'no-act', claim: 'act', exists: false }, { name: 'proto', claim: 'constructor.name', exists: false }] });
  const check = compileClaimRules(p.claims)!;
  check({ sub: 'alice' }, { path: '/' });
  assert.throws(() => check({}, { path: '/' }), denied('has-sub'));
  assert.throws(() => check({ sub: 'alice', act: { sub: 'bob' } }, { path: '/' }), denied('no-act'));
});

test('no rules compile to no step', () => {
  assert.equal(compileClaimRules([]), undefined);
});

test('pathTemplate matches leading segments only, literally', () => {
  const { params, match } = compilePathTemplate('/t/:tenant/orders');
  assert.deepEqual([...params], [['tenant', 2]]);
  assert.equal(match('/t/acme/orders/1')?.[2], 'acme');
  assert.equal(match('/t/acme/orders')?.[2], 'acme');
  assert.equal(match('/t/acme/other'), undefined);
  assert.equal(match('/t//orders'), undefined);
  assert.equal(match('/t/acme'), undefined);
});

test('a bad rule is a config error naming the file and field: unknown operator, two operators, atLeast without order, unknown param', () => {
  const problems = (claims: unknown[], extra: object = {}) => {
    try { parseConfig('edge.yaml', { claims, ...extra }, policySchema); } catch (err) { if (err instanceof ConfigError) return err.message; throw err; }
    return assert.fail('the config was accepted');
  };
  assert.match(problems([{ claim: 'acr', greaterThan: 2 }]), /edge\.yaml.*claims\[0\].*unknown key "greaterThan"/s);
  assert.match(problems([{ claim: 'acr', equals: 'a', in: ['b'] }]), /claims\[0\].*exactly one operator.*equals, in/s);
  assert.match(problems([{ claim: 'acr', atLeast: 'loa2' }]), /claims\[0\]\.order.*required with atLeast/s);
  assert.match(problems([{ claim: 'tenant', equalsParam: 'tenant' }], { pathTemplate: '/orders/:id' }), /claims\[0\]\.equalsParam.*not a parameter of pathTemplate/s);
  assert.match(problems([{ claim: 'a b', exists: true }]), /claims\[0\]\.claim/);
});

test('pdp.tls is refused on a plain-http PDP url (it would silently be unused)', () => {
  assert.throws(() => parseConfig('micro.yaml', { pdp: { url: 'http://pdp.internal', tls: { caFile: 'ca.pem' } } }, policySchema),
    (err: unknown) => err instanceof ConfigError && /micro\.yaml.*pdp\.tls.*only used with an https url/s.test(err.message));
  assert.equal(policySchema.parse({ pdp: { url: 'https://pdp.internal', tls: { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem' } } }).pdp?.tls?.certFile, 'c.pem');
});
