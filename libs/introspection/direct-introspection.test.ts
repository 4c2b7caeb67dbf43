import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { rawAnswer, rawHttpServer } from '../../test/support/raw-server.js';
import { createAsClient, type AsClientOptions } from './index.js';
import { leanFetch } from '../proxy/index.js';
import { GatewayError } from '../errors/index.js';
import { edgeConfigSchema, parseConfig } from '../config/index.js';
import { AS_MAX_RESPONSE_BYTES, createAsClientFromConfig } from './as-client-from-config.js';

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

/** an AS on a raw TCP socket: every request (head and form body) is answered with the bytes `answer` gives */
async function rawAs() {
  let answer = (): Buffer => Buffer.alloc(0);
  const server = await rawHttpServer((socket) => socket.write(answer()));
  return { base: server.origin, answer: (a: () => Buffer) => { answer = a; }, close: () => server.close() };
}
/** a 200 answer; `headers` as raw lines, each ending in CRLF */
const answer200 = (headers: string, body: Buffer | string) => rawAnswer('200 OK', headers.split('\r\n').filter((h) => h !== ''), body);
/** what a client made of one answer: the result, or the refusal's reason */
const outcome = (client: ReturnType<typeof createAsClient>) => client.introspect(TOKEN).then(
  (r) => `ok ${JSON.stringify(r)}`,
  (e: unknown) => (e instanceof GatewayError ? `refused ${e.reason}` : `thrown ${String(e)}`),
);

test('raw JSON and content-type edge cases: the direct call accepts or refuses each exactly as oauth4webapi\'s path does', async () => {
  const as = await rawAs();
  try {
    const { direct, general } = both(as.base, { endpoints: { introspection: `${as.base}/introspect` } });
    const JSON_TYPE = 'content-type: application/json\r\n';
    const deep = 3000;
    const cases: [string, string, Buffer | string, string | RegExp][] = [ // name, headers, body, expected outcome
      ['a UTF-8 BOM', JSON_TYPE, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"active":true}')]), 'ok {"active":true}'],
      ['a UTF-16 BOM', JSON_TYPE, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"active":true}', 'utf16le')]), 'refused introspection_bad_response'],
      ['"active": false then true', JSON_TYPE, '{"active":false,"active":true,"sub":"a"}', 'ok {"active":true,"sub":"a"}'],
      ['"active": true then false', JSON_TYPE, '{"active":true,"sub":"a","active":false}', 'ok {"active":false}'],
      ['a __proto__ key', JSON_TYPE, '{"__proto__":{"active":true,"sub":"x"},"active":true}', 'ok {"__proto__":{"active":true,"sub":"x"},"active":true}'],
      ['"active" only under __proto__', JSON_TYPE, '{"__proto__":{"active":true}}', 'refused introspection_bad_response'],
      ['deep nesting', JSON_TYPE, `{"active":true,"x":${'['.repeat(deep)}${']'.repeat(deep)}}`, 'refused introspection_bad_depth'],
      ['nesting at the bound', JSON_TYPE, `{"active":true,"x":${'['.repeat(32)}${']'.repeat(32)}}`, /^ok \{"active":true,"x":\[\[/],
      ['an exp past the double range', JSON_TYPE, '{"active":true,"exp":1e400}', 'refused introspection_bad_exp'],
      ['a huge integer', JSON_TYPE, '{"active":true,"exp":123456789012345678901234567890}', 'ok {"active":true,"exp":1.2345678901234568e+29}'],
      ['non-UTF-8 bytes in a string', JSON_TYPE, Buffer.concat([Buffer.from('{"active":true,"sub":"a'), Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf0, 0x9f, 0x98, 0xff, 0xe2, 0x82]), Buffer.from('b"}')]), `ok {"active":true,"sub":"a${'\ufffd'.repeat(8)}b"}`],
      ['a NUL in a string', JSON_TYPE, '{"active":true,"sub":"a\0b"}', 'refused introspection_bad_response'],
      ['a no-break space before the JSON', JSON_TYPE, Buffer.concat([Buffer.from([0xc2, 0xa0]), Buffer.from('{"active":true}')]), 'refused introspection_bad_response'],
      ['no content-type', '', '{"active":true}', 'ok {"active":true}'],
      // compressed though nothing asked for it (RFC 9110 allows any coding then): both paths decode, to the same bound
      ['a gzip answer', `${JSON_TYPE}content-encoding: gzip\r\n`, gzipSync('{"active":true}'), 'ok {"active":true}'],
      ['a br answer', `${JSON_TYPE}content-encoding: br\r\n`, brotliCompressSync('{"active":true}'), 'ok {"active":true}'],
      ['a gzip answer that inflates past 1 MiB', `${JSON_TYPE}content-encoding: gzip\r\n`, gzipSync(`{"active":true,"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`), 'refused introspection_too_large'],
      ['gzip named, plain JSON sent', `${JSON_TYPE}content-encoding: gzip\r\n`, '{"active":true}', 'refused introspection_bad_response'],
      ['a coding neither path undoes', `${JSON_TYPE}content-encoding: compress\r\n`, '{"active":true}', 'refused introspection_bad_response'],
      ['two codings stacked', `${JSON_TYPE}content-encoding: gzip\r\ncontent-encoding: gzip\r\n`, gzipSync(gzipSync('{"active":true}')), 'refused introspection_bad_response'],
      ['the JWT type in capitals', 'content-type: Application/Token-Introspection+JWT\r\n', '{"active":true}', 'refused introspection_bad_jwt'],
      ['the JWT type with a parameter', 'content-type: application/token-introspection+jwt; charset=utf-8\r\n', '{"active":true}', 'refused introspection_bad_jwt'],
      ['the JWT type, a space before its parameter', 'content-type: application/token-introspection+jwt ;x=1\r\n', '{"active":true}', 'refused introspection_bad_jwt'],
      ['the JWT type between tabs', 'content-type:\tapplication/token-introspection+jwt\t\r\n', '{"active":true}', 'refused introspection_bad_jwt'],
      ['the JWT type, then JSON', 'content-type: application/token-introspection+jwt\r\ncontent-type: application/json\r\n', '{"active":true}', 'ok {"active":true}'],
      ['JSON, then the JWT type', 'content-type: application/json\r\ncontent-type: application/token-introspection+jwt\r\n', '{"active":true}', 'ok {"active":true}'],
    ];
    for (const [name, headers, body, expected] of cases) {
      as.answer(() => answer200(headers, body));
      const [d, g] = [await outcome(direct), await outcome(general)];
      assert.equal(d, g, `${name}: the direct call and oauth4webapi's path differ`);
      if (typeof expected === 'string') assert.equal(d, expected, name);
      else assert.match(d, expected, name);
    }
  } finally { as.close(); }
});

/** every message along an error's cause chain */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown; stack?: unknown } | undefined; e && out.length < 8; e = e.cause as typeof e) {
    out.push(String(e.message), String(e.stack));
  }
  return out.join('\n');
}

test('an AS answer over the pool\'s size bound is introspection_too_large whatever its framing; a head over the header bound is unreachable; no refusal carries the token', async () => {
  const as = await rawAs();
  try {
    const doc = {
      issuer: 'http://edge', development: true, keys: { generate: true },
      authorizationServer: { issuer: as.base, introspectionEndpoint: `${as.base}/introspect`, clientId: 'edge', clientSecret: 's', allowHttp: true, timeoutMs: 2000 },
      audiences: { orders: {} }, routes: [{ name: 'orders', pathPrefix: '/orders', upstream: 'http://micro', audience: 'orders' }],
    };
    const client = createAsClientFromConfig(parseConfig('edge.yaml', doc, edgeConfigSchema).authorizationServer);
    const big = `{"active":true,"pad":"${'x'.repeat(AS_MAX_RESPONSE_BYTES)}"}`;
    const chunked = (body: string) => `${(body.length).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const cases: [string, () => Buffer, string][] = [
      ['content-length', () => Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${big.length}\r\n\r\n${big}`), 'introspection_too_large'],
      ['a content-length far past the bound', () => Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${2 ** 40}\r\n\r\n${big}`), 'introspection_too_large'],
      ['chunked', () => Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked(big)}`), 'introspection_too_large'],
      ['close-delimited (HTTP/1.0)', () => Buffer.from(`HTTP/1.0 200 OK\r\n\r\n${big}`), 'introspection_too_large'],
      ['an error status over the bound', () => Buffer.from(`HTTP/1.1 400 Bad Request\r\ncontent-length: ${big.length}\r\n\r\n${big}`), 'introspection_too_large'],
      ['a huge header block', () => Buffer.from(`HTTP/1.1 200 OK\r\n${`x-pad: ${'y'.repeat(1000)}\r\n`.repeat(100)}content-length: 15\r\n\r\n{"active":true}`), 'introspection_unreachable'],
      // a broken AS echoing the token where the edge reads an answer: never in the refusal
      ['the token as a 200 body', () => answer200('content-type: application/json\r\n', `{"active":true,"x":${TOKEN}}`), 'introspection_bad_response'],
      ['the token in framing', () => Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${TOKEN}\r\n\r\n`), 'introspection_unreachable'],
    ];
    for (const [name, bytes, reason] of cases) {
      as.answer(bytes);
      const err = await client.introspect(TOKEN).then(() => assert.fail(`${name}: accepted`), (e: unknown) => e);
      assert.ok(err instanceof GatewayError && err.status === 503, name);
      assert.equal(err.reason, reason, name);
      assert.ok(!messages(err).includes(TOKEN.slice(0, 8)), `${name}: the refusal carries the token`);
    }
  } finally { as.close(); }
});

test('a broken AS that echoes the token into a malformed answer or an error code: no refusal of either path carries it', async () => {
  const as = await rawAs();
  try {
    const { direct, general } = both(as.base, { endpoints: { introspection: `${as.base}/introspect` } });
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const answer = (status: string, headers: string, body: string) => () => Buffer.from(`HTTP/1.1 ${status}\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const LOWER = 'opaque_lowercase_token'; // a token of lowercase words: the shape of an RFC 6749 error code
    const cases: [string, () => Buffer, string, string?][] = [ // name, answer, reason, the token (default TOKEN)
      ['the token at the start of a 200 body', answer('200 OK', 'content-type: application/json\r\n', TOKEN), 'introspection_bad_response'],
      ['the token inside malformed JSON', answer('200 OK', 'content-type: application/json\r\n', `{"active":true,"x":${TOKEN}}`), 'introspection_bad_response'],
      ['the token as a JWT answer\'s payload', answer('200 OK', 'content-type: application/token-introspection+jwt\r\n', `${b64('{"alg":"RS256"}')}.${b64(`x${TOKEN}`)}.c2ln`), 'introspection_bad_jwt'],
      ['the token as the error code of a 400', answer('400 Bad Request', 'content-type: application/json\r\n', JSON.stringify({ error: TOKEN })), 'introspection_refused_http_400'],
      ['a token of lowercase words as the error code of a 400', answer('400 Bad Request', 'content-type: application/json\r\n', JSON.stringify({ error: LOWER })), 'introspection_refused_http_400', LOWER],
      // compressed answers (decoded by libs/proxy/decode-answer.ts): neither the decoded body nor the coding's name is quoted
      ['the token inside a gzip answer\'s malformed JSON', () => answer200('content-type: application/json\r\ncontent-encoding: gzip\r\n', gzipSync(`{"active":true,"x":${TOKEN}}`)), 'introspection_bad_response'],
      ['a token of lowercase words as the content coding', answer('200 OK', `content-type: application/json\r\ncontent-encoding: ${LOWER}\r\n`, '{"active":true}'), 'introspection_bad_response', LOWER],
      ['a token of lowercase words as a second content coding', answer('200 OK', `content-type: application/json\r\ncontent-encoding: gzip\r\ncontent-encoding: ${LOWER}\r\n`, '{"active":true}'), 'introspection_bad_response', LOWER],
      ['a token of lowercase words as the error of a challenge', answer('401 Unauthorized', `www-authenticate: Bearer error="${LOWER}"\r\n`, ''), 'introspection_credentials_refused_http_401', LOWER],
    ];
    for (const [name, bytes, reason, token = TOKEN] of cases) {
      as.answer(bytes);
      for (const client of [direct, general]) {
        const err = await client.introspect(token).then(() => assert.fail(`${name}: accepted`), (e: unknown) => e);
        assert.ok(err instanceof GatewayError && err.reason === reason, `${name}: ${String((err as GatewayError).reason)}`);
        const text = messages(err);
        assert.ok(!text.includes(token.slice(0, 9)), `${name}: the refusal carries the token: ${text.split('\n').filter((l) => !l.startsWith('    at')).join(' | ')}`);
      }
    }
  } finally { as.close(); }
});
