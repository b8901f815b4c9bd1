import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalize } from './canonical-json.js';
import { sha384 } from './hash.js';
import { toHex } from './encoding.js';

describe('canonicalize', () => {
  test('sorts keys and drops whitespace as in the upstream vector', () => {
    const text = canonicalize({ b: 1, a: 'test', c: { d: 'e' } });
    assert.equal(text, '{"a":"test","b":1,"c":{"d":"e"}}');
    assert.equal(
      toHex(sha384(text)),
      'e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3',
    );
  });

  test('gives the runtime-data digest of the reference vector', () => {
    const rd = {
      'tee-pubkey': { kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', x: 'AAAA', y: 'BBBB' },
      nonce: 'bm9uY2U=',
      'additional-evidence': '',
    };
    assert.equal(
      toHex(sha384(canonicalize(rd))),
      'd20490d30e5f16cba693abc1ca3c31ed977d2722d0adf01a980972d16913dc38f103c1f12abf477df0523af2b12e4b43',
    );
  });

  test('writes numbers in ECMAScript shortest form', () => {
    assert.equal(canonicalize([1e21, 0.1, -0, 1.5e-7, 100]), '[1e+21,0.1,0,1.5e-7,100]');
  });

  test('rejects values that are not JSON', () => {
    assert.throws(() => canonicalize(Number.NaN), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => canonicalize({ f: () => 1 }), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('round-trips any JSON value to an equal value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => assert.deepEqual(JSON.parse(canonicalize(v)), JSON.parse(JSON.stringify(v)))));
  });
});
