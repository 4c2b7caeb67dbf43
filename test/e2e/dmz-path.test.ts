/**
 * DMZ attack classes on the request target, the Host and the headers (issue
 * #10, items 1, 2, 5), one row each, against the edge AND the micro gateway
 * on real processes, written byte for byte on raw sockets. Each row asserts
 * the status, the refusal's reason, and what the recording backend got.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import {
  SCRIPTS, edgeConfig, freePort, getToken, metric, microConfig, mintedJwt, received, startBackend, startDevAs, tempDir, writeYaml,
} from '../support/topology.js';
import { rawRequest, type RawReply } from '../support/raw-http.js';

interface Row {
  name: string;
  /** the request line's target (and method, default GET) */
  target: string;
  method?: string;
  /** Host header lines (default: one, the gateway's address) */
  hosts?: string[];
  lines?: string[];
  admin?: boolean;
  status: number;
  reason?: string;
  /** the URL the backend must have received; undefined: the backend was not called */
  backend?: string;
  edgeOnly?: boolean;
}

const ROWS: Row[] = [
  { name: 'encoded unreserved characters meet the stricter route', target: '/orders/%61dmin/secret', status: 403 },
  { name: 'encoded unreserved characters are forwarded decoded', target: '/orders/%61dmin/secret', admin: true, status: 200, backend: '/orders/admin/secret' },
  { name: 'letter case meets the stricter route', target: '/ORDERS/Admin/secret', status: 403 },
  { name: 'letter case is kept when forwarding', target: '/ORDERS/Admin/secret', admin: true, status: 200, backend: '/ORDERS/Admin/secret' },
  { name: 'double encoding', target: '/orders/%2561dmin/secret', status: 400, reason: 'double_encoding' },
  { name: '";" parameters', target: '/orders;x=1/admin', status: 400, reason: 'matrix_params' },
  { name: '"..;"', target: '/orders/..;/admin', status: 400, reason: 'dot_segment' },
  { name: 'repeated slashes', target: '/orders//admin/secret', status: 400, reason: 'repeated_slashes' },
  { name: 'a trailing dot in a segment', target: '/orders/admin./secret', status: 400, reason: 'trailing_dot_or_space' },
  { name: 'a trailing space in a segment', target: '/orders/admin%20/secret', status: 400, reason: 'trailing_dot_or_space' },
  { name: 'an encoded NUL', target: '/orders/admin%00', status: 400, reason: 'encoded_control' },
  { name: 'overlong UTF-8 dots', target: '/orders/%c0%ae%c0%ae/admin', status: 400, reason: 'invalid_utf8' },
  { name: 'a character that folds to ASCII', target: '/orders/%C5%BFecret', status: 400, reason: 'ascii_lookalike' },
  { name: 'raw dot segments', target: '/orders/x/../admin', status: 400, reason: 'dot_segment' },
  { name: 'encoded dot segments', target: '/orders/%2e%2E/admin', status: 400, reason: 'dot_segment' },
  { name: 'an encoded slash', target: '/orders%2fadmin', status: 400, reason: 'encoded_separator' },
  { name: 'an absolute-form target', target: 'http://127.0.0.1/orders/1', status: 400, reason: 'target_form' },
  { name: 'an asterisk-form target', target: '*', method: 'OPTIONS', status: 400, reason: 'target_form' },
  { name: 'a target not starting with /', target: 'orders/1', status: 400, reason: 'target_form' },
  { name: 'the forwarded target is the canonical path and the byte-exact query', target: '/orders/%7e%41bc%c3%a9?q=%2e%2E&r=/../x', status: 200, backend: '/orders/~Abc%C3%A9?q=%2e%2E&r=/../x' },
  { name: 'a Host with a trailing dot meets its host route', target: '/orders/1', hosts: ['admin.example.'], status: 403 },
  { name: 'a Host with upper case and the default port meets its host route', target: '/orders/1', hosts: ['ADMIN.Example:80'], status: 403 },
  { name: 'a Host with userinfo', target: '/orders/1', hosts: ['user@admin.example'], status: 400, reason: 'malformed_host' },
  { name: 'a Host list', target: '/orders/1', hosts: ['orders.example, admin.example'], status: 400, reason: 'malformed_host' },
  { name: 'two Host headers', target: '/orders/1', hosts: ['orders.example', 'admin.example'], status: 400, reason: 'several_hosts' },
  { name: 'stripPrefix never forwards a leading //', target: '/raw//evil.example/x', status: 200, backend: '/evil.example/x', edgeOnly: true },
];

describe('DMZ: canonical target, hosts, headers (edge and micro, raw sockets)', () => {
  let as: Program; let backend: Program; let edge: Program; let micro: Program;
  let readToken: string; let adminToken: string; let readJwt: string; let adminJwt: string;

  before(async () => {
    const dir = tempDir();
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    const [edgePort, microPort] = [await freePort(), await freePort()];
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const microUrl = `http://127.0.0.1:${microPort}`;
    const up = { upstream: microUrl, audience: 'orders' };
    edge = await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, {
      audiences: { orders: { scopes: ['orders:read', 'orders:write', 'orders:admin'] } },
      routes: [
        { name: 'orders', pathPrefix: '/orders', ...up, scopes: ['orders:read', 'orders:write'], scopeMode: 'any' },
        { name: 'orders-admin', pathPrefix: '/orders/admin', ...up, scopes: ['orders:admin'] },
        { name: 'admin-host', host: 'admin.example', pathPrefix: '/orders', ...up, scopes: ['orders:admin'] },
        { name: 'raw', pathPrefix: '/raw', ...up, scopes: ['orders:read'], stripPrefix: true, repeatedSlashes: true },
      ],
    }))] });
    micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edgeUrl, microPort, backend.url, {
      claimHeaders: { sub: 'X-Auth-Sub' },
      routes: [
        { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'] },
        { name: 'orders-admin', pathPrefix: '/orders/admin', scopes: ['orders:admin'] },
        { name: 'admin-host', host: 'admin.example', pathPrefix: '/orders', scopes: ['orders:admin'] },
        { name: 'rest', pathPrefix: '/', methods: ['GET'], scopes: ['orders:read'] },
      ],
    }))] });
    readToken = await getToken(as, { scope: 'orders:read' });
    adminToken = await getToken(as, { scope: 'orders:read orders:admin' });
    readJwt = await mintedJwt(edge.url, readToken);
    adminJwt = await mintedJwt(edge.url, adminToken);
  });
  after(async () => { await Promise.all([edge, micro, backend, as].filter(Boolean).map((p) => p.stop())); });

  /** the micro gateway trusts 127.0.0.1 (the edge); the tests' own requests to it come from 127.0.0.2, an untrusted peer */
  const peer = { localAddress: '127.0.0.2' };

  function ask(gateway: 'edge' | 'micro', row: Pick<Row, 'target' | 'method' | 'hosts' | 'lines' | 'admin'>): Promise<RawReply> {
    const url = gateway === 'edge' ? edge.url : micro.url;
    const credential = gateway === 'edge' ? (row.admin ? adminToken : readToken) : (row.admin ? adminJwt : readJwt);
    const hosts = (row.hosts ?? [new URL(url).host]).map((h) => `Host: ${h}`);
    return rawRequest(url, `${row.method ?? 'GET'} ${row.target} HTTP/1.1`, [...hosts, `Authorization: Bearer ${credential}`, ...(row.lines ?? [])],
      gateway === 'micro' ? peer : {});
  }

  for (const gateway of ['edge', 'micro'] as const) {
    for (const row of ROWS) {
      if (row.edgeOnly && gateway === 'micro') continue;
      test(`${gateway}: ${row.name} → ${row.status}${row.reason ? ` ${row.reason}` : ''}`, async () => {
        const seen = (await received(backend)).length;
        const reply = await ask(gateway, row);
        assert.equal(reply.status, row.status, reply.body);
        if (row.status >= 400) assert.equal(typeof JSON.parse(reply.body).error, 'string');
        const got = (await received(backend)).slice(seen);
        assert.deepEqual(got.map((r) => r.url), row.backend === undefined ? [] : [row.backend]);
        if (row.reason) {
          const program = gateway === 'edge' ? edge : micro;
          assert.equal(JSON.parse(reply.body).error, 'bad_request');
          assert.ok(await metric(program, 'phantom_refusals_total', { code: 'bad_request', reason: row.reason }) >= 1, `metric reason ${row.reason}`);
        }
      });
    }
  }

  test('edge: X-Forwarded-Host carries the normalised Host', async () => {
    const seen = (await received(backend)).length;
    const reply = await ask('edge', { target: '/orders/1', hosts: ['Orders.Example.:80'] });
    assert.equal(reply.status, 200);
    const [got] = (await received(backend)).slice(seen);
    assert.equal(got?.headers['x-forwarded-host'], 'orders.example');
  });

  for (const gateway of ['edge', 'micro'] as const) {
    test(`${gateway}: spoofed identity, request-id and URL-override headers under any spelling never reach the backend`, async () => {
      const seen = (await received(backend)).length;
      const reply = await ask(gateway, {
        target: '/orders/1',
        lines: ['X_Auth_Sub: evil', 'x-AUTH_sub: evil', 'X_Request_Id: spoofed-id', 'X-Request_ID: spoofed-id', 'X_Forwarded_For: 6.6.6.6',
          'TRACEPARENT: 00-spoof', 'X-Original-URL: /orders/admin', 'X-Rewrite-URL: /orders/admin', 'X-Forwarded-Prefix: /admin',
          'True-Client-IP: 6.6.6.6', 'X-Client-IP: 6.6.6.6', 'X-Real-IP: 6.6.6.6', 'X_Real_IP: 6.6.6.6', 'X-Keep: kept'],
      });
      assert.equal(reply.status, 200, reply.body);
      const [got] = (await received(backend)).slice(seen);
      assert.ok(got);
      const names = Object.keys(got.headers);
      for (const spoof of ['x_auth_sub', 'x_request_id', 'x-request_id', 'x_forwarded_for', 'x-original-url', 'x-rewrite-url',
        'x-forwarded-prefix', 'true-client-ip', 'x-client-ip', 'x-real-ip', 'x_real_ip']) {
        assert.ok(!names.includes(spoof), `${spoof} reached the backend`);
      }
      assert.equal(got.headers['x-auth-sub'], 'demo-app');
      assert.equal(got.headers['x-request-id'], reply.headers['x-request-id']);
      assert.notEqual(got.headers['x-request-id'], 'spoofed-id');
      assert.equal(got.headers['x-keep'], 'kept');
      assert.match(String(got.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      assert.ok(!String(got.headers['x-forwarded-for']).includes('6.6.6.6'));
    });
  }

  for (const gateway of ['edge', 'micro'] as const) {
    test(`${gateway}: ~1000 client headers → 431 and the backend is not called; 90 headers pass with the gateway's own; another client is served meanwhile`, async () => {
      const seen = (await received(backend)).length;
      const padding = Array.from({ length: 1000 }, (_, i) => `x-p${i}: v`);
      const flood = Array.from({ length: 20 }, () => ask(gateway, { target: '/orders/1', lines: padding }));
      const other = await ask(gateway, { target: '/orders/2' });
      assert.equal(other.status, 200, other.body);
      for (const reply of await Promise.all(flood)) {
        assert.equal(reply.status, 431);
        assert.equal(JSON.parse(reply.body).error, 'header_too_large');
      }
      assert.deepEqual((await received(backend)).slice(seen).map((r) => r.url), ['/orders/2']);
      const many = await ask(gateway, { target: '/orders/3', lines: padding.slice(0, 90) });
      assert.equal(many.status, 200, many.body);
      const [got] = (await received(backend)).slice(seen + 1);
      assert.ok(got);
      assert.match(String(got.headers.authorization), /^Bearer ey/);
      assert.equal(got.headers['x-request-id'], many.headers['x-request-id']);
      assert.match(String(got.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      assert.equal(got.headers['x-auth-sub'], 'demo-app');
      assert.equal(got.headers['x-p89'], 'v');
      assert.ok(await metric(gateway === 'edge' ? edge : micro, 'phantom_refusals_total', { code: 'header_too_large', reason: 'header_count' }) >= 20);
    });
  }
});
