import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAsClient, type AsClientOptions } from './index.js';
import { leanFetch } from './lean-fetch.js';
import { GatewayError } from '../errors/index.js';

type Answer = (res: ServerResponse) => void;
interface Seen { params: Record<string, string>; auth: string | undefined; accept: string | undefined; type: string | undefined }

/** A real HTTP server on 127.0.0.1: RFC 8414 metadata, and an introspection endpoint answering with `answer`. */
async function realAs() {
  const seen: Seen[] = [];
  let answer: Answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":true,"scope":"a"}');
  let base = '';
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1').on('data', (c: string) => { body += c; }).on('end', () => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: base, introspection_endpoint: `${base}/introspect` }));
        return;
      }
      seen.push({ params: Object.fromEntries(new URLSearchParams(body)), auth: req.headers.authorization, accept: req.headers.accept, type: req.headers['content-type'] });
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, answer: (a: Answer) => { answer = a; }, close: () => { server.closeAllConnections(); server.close(); } };
}

const TOKEN = 'a-b.c_d~e+f/g=='; // every b64token character class, the form-encoded ones included
const opts = (issuer: string, extra: Partial<AsClientOptions> = {}): AsClientOptions =>
  ({ issuer, clientId: 'edge:1', auth: { method: 'client_secret_basic', clientSecret: 's', encoding: 'minimal' }, timeoutMs: 1000, allowHttp: true, ...extra });
/** the direct call (no custom fetch) and oauth4webapi's path (a custom introspection fetch turns the direct call off) */
const both = (issuer: string, extra: Partial<AsClientOptions> = {}) => ({
  direct: createAsClient(opts(issuer, extra)),
  general: createAsClient(opts(issuer, { ...extra, introspectionFetch: leanFetch })),
});
const refused = (reason: string) => (e: unknown) => e instanceof GatewayError && e.status === 503 && e.reason === reason;

test('the direct introspection call sends what oauth4webapi sends: the same form parameters and headers, for basic, post and TLS client auth', async () => {
  const as = await realAs();
  try {
    for (const auth of [
      { method: 'client_secret_basic', clientSecret: 's%+', encoding: 'minimal' },
      { method: 'client_secret_post', clientSecret: 's &=+' },
      { method: 'tls_client_auth' },
    ] as const) {
      const { direct, general } = both(as.base, { auth });
      assert.deepEqual(await direct.introspect(TOKEN), { active: true, scope: 'a' });
      assert.deepEqual(await general.introspect(TOKEN), { active: true, scope: 'a' });
      const [d, g] = as.seen.splice(0);
      assert.deepEqual(d, g, auth.method);
      assert.equal(d!.params.token, TOKEN);
      assert.equal(d!.params.token_type_hint, 'access_token');
      assert.equal(d!.accept, 'application/json');
    }
  } finally { as.close(); }
});

test('hostile 200 answers get the same refusal from the direct call as from oauth4webapi\'s path', async () => {
  const as = await realAs();
  const json = (body: string, type = 'application/json'): Answer => (res) => res.writeHead(200, { 'content-type': type }).end(body);
  try {
    const { direct, general } = both(as.base);
    const cases: [Answer, string][] = [
      [json('not json'), 'introspection_bad_response'],
      [json('[{"active":true}]'), 'introspection_bad_response'],
      [json('null'), 'introspection_bad_response'],
      [json('{"active":"true"}'), 'introspection_bad_response'],
      [json('{"scope":"a"}'), 'introspection_bad_response'],
      [json('{"active":true,"scope":7}'), 'introspection_bad_scope'],
      [json('{"active":true,"exp":"1"}'), 'introspection_bad_exp'],
      [json('{"active":true}', 'text/html'), ''], // parsed all the same, as oauth4webapi does
      [(res) => res.writeHead(503).end(), 'introspection_http_503'],
      [(res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}'), 'introspection_credentials_refused_http_401_invalid_client'],
    ];
    for (const [answer, reason] of cases) {
      as.answer(answer);
      for (const client of [direct, general]) {
        if (reason === '') assert.deepEqual(await client.introspect(TOKEN), { active: true });
        else await assert.rejects(client.introspect(TOKEN), refused(reason), reason);
      }
    }
    // an inactive answer is { active: false } whatever it carries
    as.answer(json('{"active":false,"sub":"x"}'));
    assert.deepEqual(await direct.introspect(TOKEN), { active: false });
  } finally { as.close(); }
});

test('the direct call times out as the general one does: 503 introspection_timeout', async () => {
  const as = await realAs();
  try {
    as.answer(() => { /* never answers */ });
    await assert.rejects(createAsClient(opts(as.base, { timeoutMs: 200 })).introspect(TOKEN), refused('introspection_timeout'));
  } finally { as.close(); }
});
