import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FifoMap } from './fifo-map.js';

describe('FifoMap', () => {
  test('behaves like a bounded list of entries in insertion order under any sequence of operations', () => {
    type Op = { kind: 'set' | 'delete' | 'get' | 'first' | 'shift'; key: number; value: number };
    const op = fc.record({ kind: fc.constantFrom('set', 'set', 'set', 'delete', 'get', 'first', 'shift'), key: fc.nat(60), value: fc.nat() }) as fc.Arbitrary<Op>;
    fc.assert(
      // Bounds up to 80: generations (a sixteenth of the bound each) of one to five entries.
      fc.property(fc.integer({ min: 1, max: 80 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const map = new FifoMap<number, number>(max);
        const model: Array<{ key: number; value: number }> = [];
        for (const o of ops) {
          const i = model.findIndex((e) => e.key === o.key);
          if (o.kind === 'set') {
            const dropped = map.set(o.key, o.value);
            if (i >= 0) {
              model[i]!.value = o.value;
              assert.equal(dropped, undefined);
            } else {
              const want = model.length >= max ? model.shift() : undefined;
              assert.deepEqual(dropped && { key: dropped.key, value: dropped.value }, want);
              model.push({ key: o.key, value: o.value });
            }
          } else if (o.kind === 'delete') {
            assert.equal(map.delete(o.key), i >= 0);
            if (i >= 0) model.splice(i, 1);
          } else if (o.kind === 'get') {
            assert.equal(map.get(o.key), model[i]?.value);
            assert.equal(map.has(o.key), i >= 0);
          } else {
            const got = o.kind === 'first' ? map.first() : map.shift();
            assert.deepEqual(got && { key: got.key, value: got.value }, model[0]);
            if (o.kind === 'shift') model.shift();
          }
          assert.equal(map.size, model.length);
          assert.ok(map.size <= max);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('orders a key deleted and set again by its new insertion, not by the slot it had', () => {
    const map = new FifoMap<string, number>(64); // generations of 4: every entry below shares the first
    map.set('x', 1);
    map.set('a', 2);
    map.delete('a');
    map.set('a', 3);
    map.set('b', 4);
    assert.deepEqual(map.shift(), { key: 'x', value: 1 });
    assert.deepEqual(map.shift(), { key: 'a', value: 3 });
    assert.deepEqual(map.first(), { key: 'b', value: 4 });
  });

  test('keeps exactly the newest entries up to its bound across many generations, whatever the deletions', () => {
    const map = new FifoMap<number, number>(1000);
    for (let i = 0; i < 50_000; i++) {
      map.set(i, i * 2);
      if (i % 7 === 3) map.delete(i);
    }
    const want = Array.from({ length: 50_000 }, (_, i) => i).filter((i) => i % 7 !== 3).slice(-1000);
    assert.deepEqual(Array.from({ length: 50_000 }, (_, i) => i).filter((i) => map.has(i)), want);
    assert.equal(map.get(want[0]!), want[0]! * 2);
    assert.equal(map.size, 1000);
    assert.equal(map.first()?.key, want[0]);
  });

  test('is empty again when every entry is shifted out, and can be filled again', () => {
    const map = new FifoMap<number, string>(5);
    for (let i = 0; i < 5; i++) map.set(i, `v${i}`);
    for (let i = 0; i < 5; i++) assert.equal(map.shift()?.key, i);
    assert.equal(map.shift(), undefined);
    assert.equal(map.first(), undefined);
    assert.equal(map.size, 0);
    map.set(9, 'again');
    assert.deepEqual(map.first(), { key: 9, value: 'again' });
  });

  test('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new FifoMap(bad), RangeError);
  });
});
