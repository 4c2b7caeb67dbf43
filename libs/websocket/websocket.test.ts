import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUpgrade, closeFrame, decodeFrames, encodeFrame, FrameMeter, markUpgrade, OPCODE, readClose } from './index.js';
import type { IncomingMessage } from 'node:http';

const masked = (opcode: number, size: number, fin = true) => encodeFrame(opcode, Buffer.alloc(size, 7), true, fin);

test('the meter reads headers split across chunks, 16- and 64-bit lengths, and knows frame boundaries', () => {
  const meter = new FrameMeter(100_000, true);
  const stream = Buffer.concat([masked(OPCODE.text, 10), masked(OPCODE.binary, 300), masked(OPCODE.binary, 70_000).subarray(0, 5000)]);
  for (let i = 0; i < stream.length; i += 3) assert.equal(meter.feed(stream.subarray(i, i + 3)), undefined);
  assert.equal(meter.atBoundary, false);
  const big = masked(OPCODE.binary, 70_000);
  const whole = new FrameMeter(100_000, true);
  assert.equal(whole.feed(big), undefined);
  assert.equal(whole.atBoundary, true);
});

test('a message over the limit is 1009 at the offending header, whether one frame or fragments adding up', () => {
  const one = new FrameMeter(1024, true);
  assert.deepEqual(one.feed(Buffer.concat([masked(OPCODE.text, 10), masked(OPCODE.binary, 2000)])), { code: 1009, reason: 'messages are limited to 1024 bytes', at: 16 });
  const parts = new FrameMeter(1024, true);
  assert.equal(parts.feed(masked(OPCODE.text, 600, false)), undefined);
  assert.equal(parts.feed(masked(OPCODE.ping, 5)), undefined); // control frames may interleave and do not count
  assert.equal(parts.feed(masked(OPCODE.continuation, 600))?.code, 1009);
  // a header that began in an earlier chunk: at = -1 (that side is mid-frame)
  const split = new FrameMeter(1024, true);
  const frame = masked(OPCODE.binary, 2000);
  assert.equal(split.feed(frame.subarray(0, 1)), undefined);
  assert.equal(split.feed(frame.subarray(1))?.at, -1);
  // a 64-bit length far past 2^53
  const huge = Buffer.from([0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
  assert.equal(new FrameMeter(1024, true).feed(huge)?.code, 1009);
});

test('relay rules: masking per direction, reserved opcodes, control frames, continuation without a start are 1002', () => {
  assert.equal(new FrameMeter(1024, true).feed(encodeFrame(OPCODE.text, Buffer.from('hi'), false))?.code, 1002);
  assert.equal(new FrameMeter(1024, false).feed(encodeFrame(OPCODE.text, Buffer.from('hi'), true))?.code, 1002);
  assert.equal(new FrameMeter(1024, false).feed(encodeFrame(OPCODE.text, Buffer.from('hi'), false)), undefined);
  assert.equal(new FrameMeter(1024, true).feed(masked(3, 1))?.code, 1002);
  assert.equal(new FrameMeter(1024, true).feed(masked(OPCODE.ping, 126))?.code, 1002);
  assert.equal(new FrameMeter(1024, true).feed(masked(OPCODE.ping, 5, false))?.code, 1002);
  assert.equal(new FrameMeter(1024, true).feed(masked(OPCODE.continuation, 5))?.code, 1002);
  const interleaved = new FrameMeter(1024, true);
  assert.equal(interleaved.feed(masked(OPCODE.text, 5, false)), undefined);
  assert.equal(interleaved.feed(masked(OPCODE.text, 5))?.code, 1002);
});

test('close frames round-trip through the codec, masked or not', () => {
  for (const mask of [true, false]) {
    const { frames, rest } = decodeFrames(closeFrame(1008, 'the access token expired', mask));
    assert.equal(rest.length, 0);
    assert.equal(frames[0]?.opcode, OPCODE.close);
    assert.deepEqual(readClose(frames[0]!.payload), { code: 1008, reason: 'the access token expired' });
  }
});

test('checkUpgrade: a route without websocket, a bad handshake, a body or early data are refused', () => {
  const req = (headers: Record<string, string>, head = Buffer.alloc(0), extra: Partial<IncomingMessage> = {}) => {
    const r = { method: 'GET', httpVersion: '1.1', headers: { upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers }, ...extra } as unknown as IncomingMessage;
    markUpgrade(r, head);
    return r;
  };
  const ws = { enabled: true, maxLifetimeSeconds: 60, idleTimeoutSeconds: 300, maxMessageBytes: 1024 };
  assert.doesNotThrow(() => checkUpgrade(req({}), ws));
  assert.throws(() => checkUpgrade(req({}), undefined), { code: 'websocket_not_enabled', status: 400 });
  assert.throws(() => checkUpgrade(req({}), { ...ws, enabled: false }), { code: 'websocket_not_enabled' });
  assert.throws(() => checkUpgrade(req({ upgrade: 'h2c' }), ws), { code: 'bad_request', reason: 'websocket_protocol' });
  assert.throws(() => checkUpgrade(req({ 'sec-websocket-key': 'short' }), ws), { reason: 'websocket_key' });
  assert.throws(() => checkUpgrade(req({}, Buffer.alloc(0), { method: 'POST' }), ws), { reason: 'websocket_method' });
  assert.throws(() => checkUpgrade(req({}, Buffer.alloc(0), { httpVersion: '1.0' }), ws), { reason: 'websocket_method' });
  assert.throws(() => checkUpgrade(req({ 'content-length': '5' }), ws), { reason: 'websocket_early_data' });
  assert.throws(() => checkUpgrade(req({}, Buffer.from('x')), ws), { reason: 'websocket_early_data' });
});
