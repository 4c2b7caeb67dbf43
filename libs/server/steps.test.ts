import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSteps, type Step } from './steps.js';

type Ctx = { seen: string[] };
const mark = (name: string): Step<Ctx> => (ctx) => { ctx.seen.push(name); };

test('synchronous steps run in order, at once, without a promise', () => {
  const ctx: Ctx = { seen: [] };
  const done = runSteps([mark('a'), mark('b'), mark('c')], ctx);
  assert.equal(done, undefined);
  assert.deepEqual(ctx.seen, ['a', 'b', 'c']);
});

test('a step that returns a promise holds the later steps until it settles; a value it returns otherwise is ignored', async () => {
  const ctx: Ctx = { seen: [] };
  let release!: () => void;
  const waiting: Step<Ctx> = (c) => { c.seen.push('wait'); return new Promise<void>((r) => { release = r; }); };
  const done = runSteps([mark('a'), () => 'not a promise', waiting, mark('b')], ctx);
  assert.ok(done instanceof Promise);
  assert.deepEqual(ctx.seen, ['a', 'wait']);
  release();
  await done;
  assert.deepEqual(ctx.seen, ['a', 'wait', 'b']);
});

test('a refusal, thrown or rejected, stops the steps after it', async () => {
  const thrown: Ctx = { seen: [] };
  assert.throws(() => runSteps([mark('a'), () => { throw new Error('refused'); }, mark('b')], thrown), /refused/);
  assert.deepEqual(thrown.seen, ['a']);
  const rejected: Ctx = { seen: [] };
  await assert.rejects(runSteps([mark('a'), async () => { throw new Error('refused later'); }, mark('b')], rejected)!, /refused later/);
  assert.deepEqual(rejected.seen, ['a']);
});
