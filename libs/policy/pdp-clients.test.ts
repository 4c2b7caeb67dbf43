import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { rawHttpServer } from '../../test/support/raw-server.js';
import { callTarget } from '../proxy/index.js';
import { createAuthzenClient, processAuthzenResponse } from './authzen-client.js';
import { createOpaClient, processOpaResponse } from './opa-client.js';
import { buildEvaluation } from './build-evaluation.js';
import { PdpFailure, postJson } from './post-json.js';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: unknown }

/** A real HTTP server on 127.0.0.1 that records each request and answers with `answer`. */
async function pdpServer(answer: (req: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += String(c);
    const s = { method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(text) as unknown };
    seen.push(s);
    answer(s, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const json = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
const failure = (kind: PdpFailure['kind']) => (err: unknown) => err instanceof PdpFailure && err.kind === kind;

const facts = { sub: 'alice', client_id: 'demo-app', scope: 'orders:read orders:write' };
const target = { method: 'GET', path: '/orders/42', route: 'orders', audience: 'orders' };

test('AuthZEN request: POST /access/v1/evaluation, JSON, bearer, X-Request-ID; body member by member as in the spec examples (§6.1)', async (t) => {
  const pdp = await pdpServer((_s, res) => json(res, 200, '{"decision":true}'));
  t.after(pdp.close);
  const client = createAuthzenClient({ url: `${pdp.url}/`, bearerToken: 'pdp-secret', timeoutMs: 2000 });
  const { evaluation } = buildEvaluation(facts, target, { actions: { GET: 'can_read' } });
  const decision = await client(evaluation, 'req-1');
  assert.deepEqual(decision, { decision: true, by: 'authzen' });
  const [req] = pdp.seen;
  assert.equal(req!.method, 'POST');
  assert.equal(req!.url, '/access/v1/evaluation');
  assert.equal(req!.headers['content-type'], 'application/json');
  assert.equal(req!.headers.authorization, 'Bearer pdp-secret');
  assert.equal(req!.headers['x-request-id'], 'req-1');
  const body = req!.body as Record<string, Record<string, unknown>>;
  // the spec's example: {"subject":{"type":"user","id":"alice@acmecorp.com"},"resource":{"type":"account","id":"123"},
  //   "action":{"name":"can_read","properties":{"method":"GET"}},"context":{"time":"1985-10-26T01:22-07:00"}}
  assert.deepEqual(Object.keys(body).sort(), ['action', 'context', 'resource', 'subject']);
  assert.deepEqual(body.subject, { type: 'user', id: 'alice', properties: { client_id: 'demo-app' } });
  assert.deepEqual(body.action, { name: 'can_read', properties: { method: 'GET' } });
  assert.deepEqual(body.resource, { type: 'orders', id: '/orders/42', properties: { route: 'orders' } });
  assert.deepEqual(body.context, { scopes: ['orders:read', 'orders:write'], client_id: 'demo-app', audience: 'orders' });
});

test('AuthZEN subject without sub is the client; the action defaults to the method; resourceType overrides the route', () => {
  const { evaluation, key } = buildEvaluation({ client_id: 'svc' }, { ...target, method: 'DELETE' }, { actions: {}, resourceType: 'order' });
  assert.deepEqual(evaluation.subject, { type: 'client', id: 'svc', properties: { client_id: 'svc' } });
  assert.equal(evaluation.action.name, 'DELETE');
  assert.equal(evaluation.resource.type, 'order');
  assert.notEqual(key, buildEvaluation({ client_id: 'svc' }, { ...target, method: 'GET' }, { actions: {}, resourceType: 'order' }).key);
  assert.throws(() => buildEvaluation({}, target, { actions: {} }), (err: Error & { code?: string }) => err.code === 'access_denied');
});

test('AuthZEN subject: sub equal to client_id (RFC 9068 §2.2, a client-credentials token; every JWT the edge mints) is the client, as at the edge', () => {
  const atEdge = buildEvaluation({ client_id: 'svc' }, target, { actions: {} });
  const atMicro = buildEvaluation({ sub: 'svc', client_id: 'svc' }, target, { actions: {} });
  assert.deepEqual(atMicro.evaluation.subject, { type: 'client', id: 'svc', properties: { client_id: 'svc' } });
  assert.deepEqual(atMicro.evaluation.subject, atEdge.evaluation.subject);
  assert.equal(buildEvaluation({ sub: 'alice', client_id: 'svc' }, target, { actions: {} }).evaluation.subject.type, 'user');
});

test('AuthZEN response (§6.2): the spec examples are read; anything without a boolean decision is a failure, never an allow', () => {
  assert.equal(processAuthzenResponse({ decision: true }).decision, true);
  assert.equal(processAuthzenResponse({ decision: false, context: { id: '0', reason_admin: { en: 'Request failed policy C076E82F' }, reason_user: { 'en-403': 'Insufficient privileges. Contact your administrator', 'es-403': 'Privilegios insuficientes. Póngase en contacto con su administrador' } } }).decision, false);
  for (const bad of [{ decision: 'true' }, { decision: 1 }, {}, [], null, 'true', { evaluations: [{ decision: true }] }]) {
    assert.throws(() => processAuthzenResponse(bad), failure('garbage'), JSON.stringify(bad));
  }
});

test('AuthZEN transport failures are typed: 500 → status, non-JSON → garbage, slow → timeout, closed port → unreachable', async (t) => {
  let mode = 'status';
  const pdp = await pdpServer((_s, res) => {
    if (mode === 'status') json(res, 500, '{"decision":true}');
    else if (mode === 'garbage') json(res, 200, '<html>decision: true');
    // slow: never answers (the connection is closed when the test ends)
  });
  t.after(pdp.close);
  const { evaluation } = buildEvaluation(facts, target, { actions: {} });
  const client = createAuthzenClient({ url: pdp.url, timeoutMs: 5000 });
  await assert.rejects(client(evaluation), failure('status'));
  mode = 'garbage';
  await assert.rejects(client(evaluation), failure('garbage'));
  mode = 'slow';
  await assert.rejects(createAuthzenClient({ url: pdp.url, timeoutMs: 200 })(evaluation), failure('timeout'));
  const closed = await pdpServer(() => undefined);
  await closed.close();
  await assert.rejects(createAuthzenClient({ url: closed.url, timeoutMs: 500 })(evaluation), failure('unreachable'));
});

test('OPA adapter: POST /v1/data/<path> with the evaluation as input; boolean or {allow} results; no result is a failure', async (t) => {
  const answers = ['{"result":true}', '{"result":{"allow":false,"reasons":["x"]}}', '{}', '{"result":"yes"}'];
  const pdp = await pdpServer((_s, res) => json(res, 200, answers.shift()!));
  t.after(pdp.close);
  const client = createOpaClient({ url: pdp.url, path: 'phantom/allow', bearerToken: 'opa-token', timeoutMs: 2000 });
  const { evaluation } = buildEvaluation(facts, target, { actions: {} });
  assert.deepEqual(await client(evaluation), { decision: true, by: 'opa' });
  assert.deepEqual(await client(evaluation), { decision: false, by: 'opa' });
  await assert.rejects(client(evaluation), failure('garbage'));
  await assert.rejects(client(evaluation), failure('garbage'));
  assert.equal(pdp.seen[0]!.url, '/v1/data/phantom/allow');
  assert.equal(pdp.seen[0]!.headers.authorization, 'Bearer opa-token');
  assert.deepEqual(pdp.seen[0]!.body, { input: evaluation });
  assert.throws(() => processOpaResponse({ result: { allow: 'true' } }), failure('garbage'));
});

test('a hostile PDP on a raw socket: bodies over 64 KiB in any framing, never-ending answers and broken framing are typed failures, never a decision', async (t) => {
  let answer: (socket: Socket) => void = () => undefined;
  const server = await rawHttpServer((socket) => answer(socket));
  t.after(server.close);
  const url = `${server.origin}/v1/data/allow`;
  const allow = (size: number) => `{"result":true,"pad":"${'x'.repeat(size - 24)}"}`; // `size` bytes of JSON
  const endless = (first: string, again: string) => (socket: Socket) => {
    socket.write(first);
    const tick = setInterval(() => socket.write(again), 10);
    socket.on('close', () => clearInterval(tick));
  };
  const cases: [string, (socket: Socket) => void, PdpFailure['kind'] | 'ok'][] = [
    ['64 KiB exactly', (s) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: 65536\r\n\r\n${allow(65536)}`), 'ok'],
    ['a byte over, with content-length', (s) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: 65537\r\n\r\n${allow(65537)}`), 'garbage'],
    ['a byte over, chunked', (s) => s.write(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10001\r\n${allow(65537)}\r\n0\r\n\r\n`), 'garbage'],
    ['over, in one-byte chunks', (s) => s.write(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${'1\r\n \r\n'.repeat(70_000)}`), 'garbage'],
    ['over, close-delimited', (s) => s.end(`HTTP/1.0 200 OK\r\n\r\n${allow(70_000)}`), 'garbage'],
    ['a refusal over the bound', (s) => s.write(`HTTP/1.1 403 Forbidden\r\ncontent-length: 70000\r\n\r\n${'x'.repeat(70_000)}`), 'status'],
    ['a trickled body', endless('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n', ' '), 'timeout'],
    ['endless 1xx', endless('', 'HTTP/1.1 102 Processing\r\n\r\n'), 'timeout'],
    ['status 999', (s) => s.write('HTTP/1.1 999 X\r\ncontent-length: 15\r\n\r\n{"result":true}'), 'status'],
    ['content-length and chunked', (s) => s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 15\r\n\r\nf\r\n{"result":true}\r\n0\r\n\r\n'), 'unreachable'],
  ];
  for (const [name, send, expected] of cases) {
    answer = send;
    // 'ok' for an answer whose result is true, else the failure's kind (anything else fails the comparison)
    const outcome = await postJson(callTarget(url), { input: {} }, { timeoutMs: 300 }).then(
      (body) => ((body as { result?: unknown }).result === true ? 'ok' : `read ${JSON.stringify(body).slice(0, 40)}`),
      (err: unknown) => (err instanceof PdpFailure ? err.kind : `thrown ${String(err)}`),
    );
    assert.equal(outcome, expected, name);
  }
});
