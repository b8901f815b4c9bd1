import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseDataKey } from './data-key.js';

describe('parseDataKey', () => {
  const key = new Uint8Array(randomBytes(32));
  test('accepts raw bytes, hex and base64 (with surrounding whitespace)', () => {
    assert.deepEqual(parseDataKey(key), key);
    assert.deepEqual(parseDataKey(`${Buffer.from(key).toString('hex')}\n`), key);
    assert.deepEqual(parseDataKey(new TextEncoder().encode(` ${Buffer.from(key).toString('base64')} `)), key);
  });

  test('rejects wrong lengths and junk', () => {
    assert.equal(parseDataKey(key.subarray(0, 31)), undefined);
    assert.equal(parseDataKey('00'.repeat(31)), undefined);
    assert.equal(parseDataKey('not a key at all'), undefined);
  });

  test('returns either undefined or exactly 32 bytes for any input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.string({ maxLength: 80 })), (x) => {
        const k = parseDataKey(x);
        assert.ok(k === undefined || k.length === 32);
      }),
    );
  });
});
