import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { MalformedInput, concatBytes, fromBase64 } from '../../../core/index.js';
import { fixtureJson } from '../../../../test/support/fixtures.js';
import { encodeRsassaSignature, parseTpmtSignature, verifyTpmSignature } from './signature.js';

const ev = fixtureJson<{ ak_public: string; tpm_quote: { message: string; signature: string } }>('tpm/tpm_evidence.json');
const sigBytes = fromBase64(ev.tpm_quote.signature);
const message = fromBase64(ev.tpm_quote.message);
const ak = createPublicKey({ key: Buffer.from(ev.ak_public, 'base64'), format: 'der', type: 'spki' });

describe('parseTpmtSignature', () => {
  test('parses the RSASSA-SHA256 signature of the generic TPM fixture', () => {
    const s = parseTpmtSignature(sigBytes);
    assert.equal(s.sigAlg, 'rsassa');
    assert.equal(s.hash, 'sha256');
    assert.equal(s.sigAlg === 'rsassa' ? s.signature.length : 0, 256);
  });

  test('round-trips through encodeRsassaSignature', () => {
    const s = parseTpmtSignature(sigBytes);
    if (s.sigAlg === 'ecdsa') throw new Error('unexpected');
    assert.deepEqual(encodeRsassaSignature(s.signature), sigBytes);
  });

  test('rejects truncations, unknown schemes and unknown hashes', () => {
    for (let n = 0; n < sigBytes.length; n++) assert.throws(() => parseTpmtSignature(sigBytes.subarray(0, n)), MalformedInput);
    const scheme = new Uint8Array(sigBytes);
    scheme[1] = 0x99;
    assert.throws(() => parseTpmtSignature(scheme), MalformedInput);
    const hash = new Uint8Array(sigBytes);
    hash[3] = 0x04;
    assert.throws(() => parseTpmtSignature(hash), MalformedInput);
  });

  test('never throws anything but MalformedInput on random byte flips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = new Uint8Array(sigBytes);
        m[i]! ^= x;
        try {
          parseTpmtSignature(m);
        } catch (e) {
          assert.ok(e instanceof MalformedInput);
        }
      }),
    );
  });
});

describe('verifyTpmSignature', () => {
  test('accepts the fixture quote with its AK and rejects a flipped message byte', () => {
    const s = parseTpmtSignature(sigBytes);
    assert.equal(verifyTpmSignature(message, s, ak), true);
    const m = new Uint8Array(message);
    m[40]! ^= 1;
    assert.equal(verifyTpmSignature(m, s, ak), false);
  });

  test('rejects the signature under another RSA key', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    assert.equal(verifyTpmSignature(message, parseTpmtSignature(sigBytes), other), false);
  });

  test('verifies an ECDSA P-256 signature in TPM form', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const p1363 = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const r = new Uint8Array(p1363.subarray(0, 32));
    const s = new Uint8Array(p1363.subarray(32));
    const tpm = concatBytes(new Uint8Array([0, 0x18, 0, 0x0b, 0, 32]), r, new Uint8Array([0, 32]), s);
    assert.equal(verifyTpmSignature(message, parseTpmtSignature(tpm), publicKey), true);
    assert.equal(verifyTpmSignature(message, parseTpmtSignature(tpm), ak), false);
  });
});
