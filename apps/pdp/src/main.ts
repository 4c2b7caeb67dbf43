/**
 * Development Policy Decision Point (OpenID AuthZEN Authorization API 1.0),
 * for the demo and tests; never for production.
 *   phantom pdp [--port 8181] [--host 127.0.0.1] [--rules rules.yaml] [--token <bearer>] [--delay-ms 0]
 *               [--tls-cert cert.pem --tls-key key.pem [--tls-client-ca ca.pem]]
 * (--tls-*: HTTPS; with --tls-client-ca, mutual TLS: a client without a certificate from that CA fails the handshake)
 * POST /access/v1/evaluation, POST /access/v1/evaluations (batch),
 * GET /.well-known/authzen-configuration, GET /_dev/stats (evaluations counted, last request body).
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { decide, loadRules, wellFormed, type Evaluation } from './rules.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8181' },
    host: { type: 'string', default: '127.0.0.1' },
    rules: { type: 'string' },
    token: { type: 'string' },
    'delay-ms': { type: 'string', default: '0' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-client-ca': { type: 'string' },
  },
});
const rules = loadRules(values.rules);
const delayMs = Number(values['delay-ms']);
const stats = { evaluations: 0, requests: 0, unauthorized: 0, last: null as unknown };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) { text += String(chunk); if (text.length > 65_536) throw new Error('too large'); }
  return JSON.parse(text) as unknown;
}

const merged = (defaults: Evaluation, one: Evaluation): Evaluation => ({
  subject: one.subject ?? defaults.subject, action: one.action ?? defaults.action,
  resource: one.resource ?? defaults.resource, context: one.context ?? defaults.context,
});

const listener: RequestListener = async (req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url === '/_dev/stats') return send(res, 200, stats);
  if (req.method === 'GET' && url === '/.well-known/authzen-configuration') {
    const base = `${tls ? 'https' : 'http'}://${req.headers.host}`;
    return send(res, 200, { policy_decision_point: base, access_evaluation_endpoint: `${base}/access/v1/evaluation`, access_evaluations_endpoint: `${base}/access/v1/evaluations` });
  }
  if (req.method !== 'POST' || (url !== '/access/v1/evaluation' && url !== '/access/v1/evaluations')) return send(res, 404, { error: 'not_found' });
  stats.requests++;
  if (values.token && req.headers.authorization !== `Bearer ${values.token}`) { stats.unauthorized++; return send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' }); }
  let body: Evaluation & { evaluations?: Evaluation[] };
  try { body = await readJson(req) as typeof body; } catch { return send(res, 400, { error: 'bad_request' }); }
  stats.last = body;
  const requestId = req.headers['x-request-id'];
  const echo: Record<string, string> = typeof requestId === 'string' ? { 'x-request-id': requestId } : {};
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  if (url === '/access/v1/evaluation') {
    if (!wellFormed(body)) return send(res, 400, { error: 'bad_request' });
    stats.evaluations++;
    return send(res, 200, { decision: decide(rules, body) }, echo);
  }
  // batch (§7): top-level values are defaults for each item; no items → one evaluation of the top level
  const items = Array.isArray(body.evaluations) && body.evaluations.length > 0 ? body.evaluations.map((e) => merged(body, e)) : [body];
  if (!items.every(wellFormed)) return send(res, 400, { error: 'bad_request' });
  stats.evaluations += items.length;
  return send(res, 200, { evaluations: items.map((e) => ({ decision: decide(rules, e) })) }, echo);
};

const tls = values['tls-cert'] !== undefined;
const server = tls
  ? createTlsServer({
    cert: readFileSync(values['tls-cert']!), key: readFileSync(values['tls-key'] ?? ''),
    ...(values['tls-client-ca'] ? { ca: readFileSync(values['tls-client-ca']), requestCert: true, rejectUnauthorized: true } : {}),
  }, listener)
  : createServer(listener);

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ ready: true, program: 'pdp', url: `${tls ? 'https' : 'http'}://${values.host}:${port}`, rules: rules.rules.length }) + '\n');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => { server.close(); server.closeAllConnections(); process.exit(0); });
}
