import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setHeapGrowingPercent } from './heap.js';

// What the setting does to V8's collections is measured in the bench (docs/benchmarks.md), not here.
describe('setHeapGrowingPercent', () => {
  test('refuses a percentage that is not an integer from 0 to 1000', () => {
    for (const bad of [-1, 1001, 1.5, Number.NaN]) assert.throws(() => setHeapGrowingPercent(bad), RangeError, String(bad));
  });

  test('accepts 0 (V8’s own heuristics) and values in range', () => {
    assert.doesNotThrow(() => setHeapGrowingPercent(0));
    assert.doesNotThrow(() => setHeapGrowingPercent(300));
  });
});
