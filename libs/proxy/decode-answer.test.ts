import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { decodedAnswer } from './decode-answer.js';

const answer = (headers: Record<string, string>, body: Buffer) => ({
  status: 200, body, rawHeaders: Object.entries(headers).flatMap(([n, v]) => [Buffer.from(n, 'latin1'), Buffer.from(v, 'latin1')]),
});
const names = (raw: readonly Buffer[]) => raw.filter((_, i) => i % 2 === 0).map((b) => b.toString('latin1').toLowerCase());
const json = Buffer.from('{"active":true}');

test('decodedAnswer: gzip, x-gzip, deflate and br undone (any case, padded), their Content-Encoding and Content-Length gone; identity and none left as they are', () => {
  const cases: [string, Buffer][] = [['gzip', gzipSync(json)], ['X-GZIP', gzipSync(json)], [' deflate ', deflateSync(json)], ['br', brotliCompressSync(json)]];
  const outcomes = cases.map(([coding, body]) => {
    const out = decodedAnswer(answer({ 'Content-Type': 'application/json', 'Content-Encoding': coding, 'Content-Length': String(body.length) }, body));
    return [coding, out.body.toString(), names(out.rawHeaders)];
  });
  assert.deepEqual(outcomes, cases.map(([coding]) => [coding, '{"active":true}', ['content-type']]));
  for (const headers of [{}, { 'content-encoding': 'identity' }] as Record<string, string>[]) {
    const plain = answer(headers, json);
    assert.equal(decodedAnswer(plain), plain, `${JSON.stringify(headers)}: the answer itself`);
  }
});

test('decodedAnswer: past the bound once decoded fails as an answer over the pool\'s size bound; an unknown, stacked or broken coding fails the call', () => {
  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 'x')); // ~8 KB of gzip
  assert.ok(bomb.length < 64 * 1024);
  assert.throws(() => decodedAnswer(answer({ 'content-encoding': 'gzip' }, bomb), 1024 * 1024), { code: 'UND_ERR_RES_EXCEEDED_MAX_SIZE' });
  assert.equal(decodedAnswer(answer({ 'content-encoding': 'gzip' }, bomb), 16 * 1024 * 1024).body.length, 8 * 1024 * 1024);
  const refused = [
    answer({ 'content-encoding': 'compress' }, json),
    answer({ 'content-encoding': 'zstd' }, json),
    answer({ 'content-encoding': 'gzip, br' }, brotliCompressSync(gzipSync(json))),
    Object.assign(answer({}, gzipSync(json)), { rawHeaders: ['content-encoding', 'gzip', 'content-encoding', 'gzip'].map((s) => Buffer.from(s)) }),
  ].map((a) => { try { decodedAnswer(a); return 'decoded'; } catch (err) { return (err as { code?: string }).code; } });
  assert.deepEqual(refused, ['UNSUPPORTED_CONTENT_ENCODING', 'UNSUPPORTED_CONTENT_ENCODING', 'UNSUPPORTED_CONTENT_ENCODING', 'UNSUPPORTED_CONTENT_ENCODING']);
  // the coding is named only when registered: any other value may be the client's token echoed by a broken AS
  assert.throws(() => decodedAnswer(answer({ 'content-encoding': 'gzip, zstd' }, json)), { message: 'the answer\'s content coding "gzip, zstd" is not supported' });
  assert.throws(() => decodedAnswer(answer({ 'content-encoding': 'gzip, tok_opaque' }, json)), { message: 'the answer\'s content coding (not a registered coding) is not supported' });
  assert.throws(() => decodedAnswer(answer({ 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'))), (err: Error & { code?: string }) => err.code === 'BAD_CONTENT_ENCODING' && !err.message.includes('not gzip'));
  assert.equal(decodedAnswer(answer({ 'content-encoding': 'gzip' }, Buffer.alloc(0))).body.length, 0, 'an empty body (a 204, a HEAD) has nothing to decode');
});

// undici's fetch (before 2697bd7) took raw deflate and a truncated gzip (no CRC check); refused here, on both introspection paths alike
test('decodedAnswer against a hostile or broken AS: raw deflate, a truncated gzip, trailing garbage, a coding with a parameter, br named gzip refused; concatenated gzip members decoded, to one bound', () => {
  const gz = gzipSync(json);
  const outcome = (coding: string, body: Buffer) => { try { return decodedAnswer(answer({ 'content-encoding': coding }, body), 1024 * 1024).body.toString(); } catch (err) { return (err as { code?: string }).code; } };
  const half = gzipSync(Buffer.alloc(600 * 1024, 'x'));
  assert.deepEqual({
    rawDeflate: outcome('deflate', deflateRawSync(json)),
    truncatedGzip: outcome('gzip', gz.subarray(0, gz.length - 4)),
    gzipThenGarbage: outcome('gzip', Buffer.concat([gz, Buffer.from('garbage')])),
    twoMembers: outcome('gzip', Buffer.concat([gzipSync('{"active":'), gzipSync('true}')])),
    twoMembersPastTheBound: outcome('gzip', Buffer.concat([half, half])),
    identityThenGzip: outcome('identity, gzip', gz),
    withAParameter: outcome('gzip;q=1', gz),
    brAsGzip: outcome('gzip', brotliCompressSync(json)),
  }, {
    rawDeflate: 'BAD_CONTENT_ENCODING', truncatedGzip: 'BAD_CONTENT_ENCODING', gzipThenGarbage: 'BAD_CONTENT_ENCODING', twoMembers: '{"active":true}',
    twoMembersPastTheBound: 'UND_ERR_RES_EXCEEDED_MAX_SIZE', identityThenGzip: 'UNSUPPORTED_CONTENT_ENCODING', withAParameter: 'UNSUPPORTED_CONTENT_ENCODING', brAsGzip: 'BAD_CONTENT_ENCODING',
  });
});
