import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex } from './encoding.js';

describe('encoding', () => {
  test('round-trips random bytes through hex, base64 and base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        assert.deepEqual(fromHex(toHex(b)), b);
        assert.deepEqual(fromBase64(toBase64(b)), b);
        assert.deepEqual(fromBase64Url(toBase64Url(b)), b);
      }),
    );
  });

  test('rejects odd-length and non-hex strings', () => {
    assert.throws(() => fromHex('abc'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => fromHex('zz'), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('rejects base64 with characters outside the alphabet or missing padding', () => {
    assert.throws(() => fromBase64('ab$d'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => fromBase64('abc'), { code: 'ERR_MALFORMED_INPUT' });
    assert.deepEqual(fromBase64('abc', undefined, true), fromBase64('abc='));
    assert.throws(() => fromBase64Url('a+b/'), { code: 'ERR_MALFORMED_INPUT' });
  });
});
