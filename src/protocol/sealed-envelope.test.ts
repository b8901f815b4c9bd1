import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromBase64, toBase64, utf8 } from '../core/index.js';
import { createKbsEnvelope, decryptEnvelopeData, encryptEnvelopeData, openEnvelope, unwrapDataKey, wrapDataKey } from './sealed-envelope.js';

const kek = new Uint8Array(randomBytes(32));

describe('encryptEnvelopeData / decryptEnvelopeData', () => {
  for (const wrap of ['A256GCM', 'A256CTR'] as const) {
    test(`round-trips with ${wrap} and uses the upstream IV size`, () => {
      const dek = new Uint8Array(randomBytes(32));
      const { data, iv } = encryptEnvelopeData(utf8('hello'), dek, wrap);
      assert.equal(iv.length, wrap === 'A256GCM' ? 12 : 16);
      assert.deepEqual(decryptEnvelopeData(data, iv, dek, wrap), utf8('hello'));
    });
  }

  test('A256GCM refuses a flipped ciphertext byte and a wrong key', () => {
    const dek = new Uint8Array(randomBytes(32));
    const { data, iv } = encryptEnvelopeData(utf8('secret value'), dek, 'A256GCM');
    const bad = data.slice();
    bad[0]! ^= 1;
    assert.throws(() => decryptEnvelopeData(bad, iv, dek, 'A256GCM'), { check: 'sealed_secret.envelope.tag' });
    assert.throws(() => decryptEnvelopeData(data, iv, new Uint8Array(32), 'A256GCM'), { check: 'sealed_secret.envelope.tag' });
    assert.throws(() => decryptEnvelopeData(data.subarray(0, 5), iv, dek, 'A256GCM'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => decryptEnvelopeData(data, iv.subarray(0, 8), dek, 'A256GCM'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => decryptEnvelopeData(data, iv, dek.subarray(0, 16), 'A256GCM'), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('matches an independent AES-256-CTR computation (128-bit big-endian counter across a carry)', () => {
    const dek = new Uint8Array(32).fill(7);
    const iv = new Uint8Array(16).fill(0xff); // counter wraps after the first block
    const pt = new Uint8Array(48).fill(0);
    const ct = decryptEnvelopeData(pt, iv, dek, 'A256CTR'); // CTR is symmetric: keystream
    assert.deepEqual(decryptEnvelopeData(ct, iv, dek, 'A256CTR'), pt);
    assert.notDeepEqual(ct.subarray(0, 16), ct.subarray(16, 32));
  });
});

describe('wrapDataKey / unwrapDataKey', () => {
  test('RFC 3394 test vector 4.6 (256-bit key data with a 256-bit KEK)', () => {
    const k = Uint8Array.from(Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex'));
    const d = Uint8Array.from(Buffer.from('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', 'hex'));
    const w = wrapDataKey(k, d);
    assert.equal(Buffer.from(w).toString('hex').toUpperCase(), '28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21');
    assert.deepEqual(unwrapDataKey(k, w), d);
  });

  test('refuses a wrong KEK and a truncated blob', () => {
    const w = wrapDataKey(kek, new Uint8Array(32).fill(1));
    assert.throws(() => unwrapDataKey(new Uint8Array(32), w), { check: 'sealed_secret.envelope.key_unwrap' });
    assert.throws(() => unwrapDataKey(kek, w.subarray(1)), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('createKbsEnvelope / openEnvelope', () => {
  test('opens with the DEK unwrapped by the KEK, for any plaintext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('A256GCM' as const, 'A256CTR' as const), (pt, wrap) => {
        const env = createKbsEnvelope(pt, 'kbs:///default/kek/1', kek, wrap);
        assert.equal(env.provider, 'kbs');
        const dek = unwrapDataKey(kek, fromBase64(env.encrypted_key));
        assert.deepEqual(openEnvelope(env, dek), pt);
      }),
      { numRuns: 50 },
    );
  });

  test('refuses invalid base64 members', () => {
    const env = createKbsEnvelope(utf8('x'), 'kbs:///default/kek/1', kek);
    assert.throws(() => openEnvelope({ ...env, iv: 'www' }, new Uint8Array(32)), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => openEnvelope({ ...env, encrypted_data: toBase64(new Uint8Array(3)) + '!' }, new Uint8Array(32)), {
      code: 'ERR_MALFORMED_INPUT',
    });
  });
});
