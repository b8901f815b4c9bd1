import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flattenedDecrypt } from 'jose';
import { decryptJwe, encryptJwe, generateTeeKeyPair, jweAlgFor, publicJwkOf } from './jwe.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { generateKeyPairSync } from 'node:crypto';

const secret = new TextEncoder().encode('shhhhhhh');

describe('encryptJwe', () => {
  for (const kind of ['P-256', 'P-384', 'P-521', 'RSA'] as const) {
    test(`produces a JWE that jose decrypts for a ${kind} recipient`, async () => {
      const { privateKey, jwk } = generateTeeKeyPair(kind);
      const jwe = encryptJwe(secret, jwk);
      const out = await flattenedDecrypt(jwe, privateKey);
      assert.deepEqual(new Uint8Array(out.plaintext), secret);
      assert.equal(out.protectedHeader?.enc, 'A256GCM');
      assert.deepEqual(decryptJwe(jwe, privateKey), secret);
      assert.equal(fromBase64Url(jwe.iv).length, 12);
      assert.equal(fromBase64Url(jwe.tag).length, 16);
      assert.doesNotMatch(JSON.stringify(jwe), /=/);
    });
  }

  test('refuses RSA1_5 with a clear error', () => {
    const { jwk } = generateTeeKeyPair('RSA');
    assert.throws(() => jweAlgFor({ ...jwk, alg: 'RSA1_5' }), /RSA1_5/);
  });

  test('fails decryption with another key, and on a flipped ciphertext byte', () => {
    const a = generateTeeKeyPair('P-256');
    const b = generateTeeKeyPair('P-256');
    const jwe = encryptJwe(secret, a.jwk);
    assert.throws(() => decryptJwe(jwe, b.privateKey), { code: 'ERR_VERIFICATION_FAILED' });
    const ct = fromBase64Url(jwe.ciphertext);
    ct[0]! ^= 1;
    assert.throws(() => decryptJwe({ ...jwe, ciphertext: toBase64Url(ct) }, a.privateKey), { check: 'jwe.tag' });
  });

  test('builds EC JWKs from the SPKI point with exact coordinate lengths', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const jwk = publicJwkOf(publicKey);
    assert.equal(jwk.kty, 'EC');
    if (jwk.kty === 'EC') assert.equal(fromBase64Url(jwk.x).length, 66);
  });
});

describe('decryptJwe under fuzzing', () => {
  test('mutated members give only typed errors and never the plaintext of a changed message', async () => {
    const fc = (await import('fast-check')).default;
    const { CocoError } = await import('./errors.js');
    const { privateKey, jwk } = generateTeeKeyPair('P-256');
    const jwe = encryptJwe(secret, jwk);
    const members = ['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...members), fc.string({ maxLength: 80 }), (member, value) => {
        if (value === jwe[member]) return;
        try {
          decryptJwe({ ...jwe, [member]: value }, privateKey);
          assert.fail('a changed JWE decrypted');
        } catch (e) {
          assert.ok(e instanceof CocoError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
