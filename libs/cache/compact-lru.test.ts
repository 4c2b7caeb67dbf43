import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCompactLru } from './compact-lru.js';

test('compact LRU: stores, overwrites and deletes one number per key; keys are told apart', () => {
  const lru = createCompactLru(100);
  lru.set('client-1', 1.5);
  lru.set('client-2', 2.5);
  lru.set('client-1', 3.25);
  assert.equal(lru.get('client-1'), 3.25);
  assert.equal(lru.get('client-2'), 2.5);
  assert.equal(lru.get('client-3'), undefined, 'a key never set is absent');
  assert.equal(lru.get('client-10'), undefined, 'a key sharing a prefix is another key');
  assert.equal(lru.size, 2);
  lru.delete('client-1');
  assert.equal(lru.get('client-1'), undefined);
  assert.equal(lru.get('client-2'), 2.5, 'a lookup of one key does not leave its hash to the next key');
  assert.equal(lru.size, 1);
});

test('compact LRU: never holds more than its bound, whatever number of distinct keys passes', () => {
  for (const bound of [1, 2, 10, 1000]) {
    const lru = createCompactLru(bound);
    for (let i = 0; i < bound * 20; i++) lru.set(`k${i}`, i);
    assert.equal(lru.size, bound, `bound ${bound}`);
    let present = 0;
    for (let i = 0; i < bound * 20; i++) if (lru.get(`k${i}`) !== undefined) present++;
    assert.equal(present, bound, `bound ${bound}: exactly the bound is still readable`);
  }
});

test('compact LRU: a key in use survives a flood of new keys; the values read back are the ones stored', () => {
  const lru = createCompactLru(1000);
  lru.set('hot', 42);
  for (let i = 0; i < 100_000; i++) {
    lru.set(`flood-${i}`, i);
    assert.equal(lru.get('hot'), 42);
  }
  // the most recent keys are all there, with their own values
  for (let i = 100_000 - 50; i < 100_000; i++) assert.equal(lru.get(`flood-${i}`), i);
});
