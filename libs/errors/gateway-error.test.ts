import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from './index.js';

test('a refusal captures no stack frames, keeps its cause, and leaves Error.stackTraceLimit as it was', () => {
  const before = Error.stackTraceLimit;
  const cause = new Error('AS down');
  const err = new GatewayError('upstream_unavailable', undefined, { cause });
  assert.doesNotMatch(err.stack ?? '', /\n\s+at /, 'no frames on the refusal');
  assert.match(cause.stack ?? '', /\n\s+at /, 'the cause keeps its own frames');
  assert.equal(err.cause, cause);
  assert.equal(Error.stackTraceLimit, before);
  assert.match(new Error('other').stack ?? '', /\n\s+at /, 'other errors still capture frames');
});
