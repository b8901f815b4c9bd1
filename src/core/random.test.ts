import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { toHex } from './encoding.js';
import { secureRandomBytes } from './random.js';

describe('secureRandomBytes', () => {
  test('returns exactly the requested number of bytes, pooled or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), (n) => {
        assert.equal(secureRandomBytes(n).length, n);
      }),
      { numRuns: 300 },
    );
  });

  test('never hands the same bytes out twice, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const hex = toHex(secureRandomBytes(16));
      assert.ok(!seen.has(hex), 'a 16-byte draw repeated');
      seen.add(hex);
    }
  });

  test('gives each caller its own copy', () => {
    const a = secureRandomBytes(32);
    const copy = a.slice();
    secureRandomBytes(32);
    a.fill(0);
    const b = secureRandomBytes(32);
    assert.notDeepEqual(copy, new Uint8Array(32));
    assert.notDeepEqual(b, new Uint8Array(32));
    assert.notEqual(a.buffer, b.buffer);
  });

  test('looks uniformly random (every byte value occurs, no byte value dominates)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 400; i++) for (const b of secureRandomBytes(64)) counts[b]!++;
    // 25,600 bytes: about 100 per value; a stuck or zeroed pool would fail this by a mile.
    assert.ok(Math.min(...counts) > 40, `min ${Math.min(...counts)}`);
    assert.ok(Math.max(...counts) < 180, `max ${Math.max(...counts)}`);
  });

  test('refuses a negative or fractional length', () => {
    assert.throws(() => secureRandomBytes(-1), RangeError);
    assert.throws(() => secureRandomBytes(1.5), RangeError);
  });
});
