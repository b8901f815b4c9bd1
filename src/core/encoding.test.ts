import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromBase64, fromBase64Url, fromHex, fromUtf8, toBase64, toBase64Url, toHex, utf8 } from './encoding.js';

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

  test('fromUtf8 decodes each call afresh: a refused or truncated sequence does not leak into the next call', () => {
    assert.throws(() => fromUtf8(new Uint8Array([0x61, 0xff, 0x62])), { code: 'ERR_MALFORMED_INPUT' });
    assert.equal(fromUtf8(utf8('après')), 'après');
    assert.throws(() => fromUtf8(new Uint8Array([0x61, 0xc3])), { code: 'ERR_MALFORMED_INPUT' }, 'a sequence cut at the end');
    assert.throws(() => fromUtf8(new Uint8Array([0xa9])), { code: 'ERR_MALFORMED_INPUT' }, 'a lone continuation byte, not the end of the cut é');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 8 }), (text, junk) => {
        try {
          fromUtf8(junk);
        } catch {
          // refused or not: the next call must not care
        }
        assert.equal(fromUtf8(utf8(text)), text);
      }),
    );
  });

  test('rejects base64 with characters outside the alphabet or missing padding', () => {
    assert.throws(() => fromBase64('ab$d'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => fromBase64('abc'), { code: 'ERR_MALFORMED_INPUT' });
    assert.deepEqual(fromBase64('abc', undefined, true), fromBase64('abc='));
    assert.throws(() => fromBase64Url('a+b/'), { code: 'ERR_MALFORMED_INPUT' });
  });
});
