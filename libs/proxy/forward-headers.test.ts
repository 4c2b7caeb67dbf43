import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { forwardHeaders, headerPolicy, DEFAULT_HEADER_LIMITS, type HeaderPolicy } from './index.js';
import { GatewayError } from '../errors/index.js';

const OWN = { authorization: 'Bearer jwt', 'x-request-id': 'gw-id', traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01' };

/** What forwardHeaders makes of header lines written on a raw socket to a real server (or the error it throws). */
async function forwarded(lines: string[], policy: HeaderPolicy, host?: string): Promise<OutgoingHttpHeaders | GatewayError> {
  let result: OutgoingHttpHeaders | GatewayError | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    try { result = forwardHeaders(req, policy, OWN, host); } catch (e) { assert.ok(e instanceof GatewayError); result = e; }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject).on('data', () => { socket.destroy(); resolve(); });
    socket.write(`GET / HTTP/1.1\r\nHost: gw.example\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`);
  });
  server.close();
  assert.ok(result !== undefined);
  return result;
}

const policy = headerPolicy(['authorization', 'x-auth-*', 'x-http-method-override'], []);

test('the gateway\'s own headers come first and no client copy of them follows', async () => {
  const out = await forwarded(['X-Keep: 1', 'X-Request-Id: spoof', 'Traceparent: spoof', 'Authorization: Bearer opaque', 'X-Forwarded-Host: evil'], policy, 'gw.example');
  assert.ok(!(out instanceof GatewayError));
  assert.deepEqual(Object.keys(out), ['authorization', 'x-request-id', 'traceparent', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-keep']);
  assert.deepEqual([out.authorization, out['x-request-id'], out.traceparent, out['x-forwarded-host']], [OWN.authorization, OWN['x-request-id'], OWN.traceparent, 'gw.example']);
});

test('stripped names are stripped under every spelling a backend may fold to them (_ for -, case)', async () => {
  const out = await forwarded(['X_Auth_Sub: evil', 'x-AUTH_scope: evil', 'X_HTTP_Method_Override: DELETE', 'X_Request_Id: spoof', 'X_Forwarded_For: 6.6.6.6',
    'Transfer_Encoding: chunked', 'Host_: evil', 'X_Custom_Thing: kept'], policy);
  assert.ok(!(out instanceof GatewayError));
  assert.deepEqual(Object.keys(out).filter((n) => !(n in OWN) && !n.startsWith('x-forwarded-')), ['host_', 'x_custom_thing']);
});

test('client-address and URL-override headers pass only from a trusted proxy', async () => {
  const lines = ['X-Original-URL: /admin', 'X-Rewrite-URL: /admin', 'X-Forwarded-Prefix: /admin', 'True-Client-IP: 6.6.6.6', 'X-Client-IP: 6.6.6.6', 'X-Real-IP: 6.6.6.6'];
  const untrusted = await forwarded(lines, policy);
  assert.ok(!(untrusted instanceof GatewayError));
  for (const n of ['x-original-url', 'x-rewrite-url', 'x-forwarded-prefix', 'true-client-ip', 'x-client-ip', 'x-real-ip']) assert.equal(untrusted[n], undefined, n);
  const trusted = await forwarded(lines, headerPolicy(['authorization'], ['127.0.0.1']));
  assert.ok(!(trusted instanceof GatewayError));
  assert.equal(trusted['x-original-url'], '/admin');
  assert.equal(trusted['x-real-ip'], '6.6.6.6');
});

test('more client headers than maxCount, or more bytes than maxBytes, is a 431 with its own reason', async () => {
  const small = headerPolicy(['authorization'], [], { ...DEFAULT_HEADER_LIMITS, maxCount: 10, maxBytes: 2048 });
  const ten = await forwarded(Array.from({ length: 10 }, (_, i) => `x-p${i}: v`), small);
  assert.ok(!(ten instanceof GatewayError));
  const eleven = await forwarded(Array.from({ length: 11 }, (_, i) => `x-p${i}: v`), small);
  assert.ok(eleven instanceof GatewayError);
  assert.deepEqual([eleven.status, eleven.code, eleven.reason], [431, 'header_too_large', 'header_count']);
  const big = await forwarded([`x-big: ${'a'.repeat(2000)}`], small);
  assert.ok(big instanceof GatewayError);
  assert.deepEqual([big.status, big.reason], [431, 'header_bytes']);
});

test('a header named __proto__ is just a name', async () => {
  const out = await forwarded(['__proto__: x', 'constructor: y'], policy);
  assert.ok(!(out instanceof GatewayError));
  // nothing inherited: the prototype (if any) carries no names, so no client header name can reach one
  const proto = Object.getPrototypeOf(out) as object | null;
  assert.ok(proto === null || (Reflect.ownKeys(proto).length === 0 && Object.getPrototypeOf(proto) === null));
  for (const inherited of ['toString', 'hasOwnProperty', 'valueOf']) assert.equal(inherited in out, false, inherited);
  assert.equal(out.constructor, 'y');
});
