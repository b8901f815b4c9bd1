import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { MalformedInput, concatBytes, fromBase64Url } from '../../../core/index.js';
import { publicJwkOf } from '../../../core/index.js';
import { parseTpmtPublic, tpmPublicKey } from './public.js';

const u16 = (v: number) => new Uint8Array([v >> 8, v & 0xff]);
const u32 = (v: number) => new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
const tpm2b = (b: Uint8Array) => concatBytes(u16(b.length), b);

/** A restricted signing key's public area as tpm2_createprimary would produce it. */
function rsaPublic(n: Uint8Array): Uint8Array {
  return concatBytes(u16(0x0001), u16(0x000b), u32(0x00050072), tpm2b(new Uint8Array()), u16(0x0010), u16(0x0014), u16(0x000b), u16(n.length * 8), u32(0), tpm2b(n));
}
function eccPublic(x: Uint8Array, y: Uint8Array): Uint8Array {
  return concatBytes(u16(0x0023), u16(0x000b), u32(0x00050072), tpm2b(new Uint8Array()), u16(0x0010), u16(0x0018), u16(0x000b), u16(0x0003), u16(0x0010), tpm2b(x), tpm2b(y));
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaJwk = publicJwkOf(rsa.publicKey) as { n: string };
const rsaArea = rsaPublic(fromBase64Url(rsaJwk.n));

describe('parseTpmtPublic', () => {
  test('turns an RSA public area into a key that verifies signatures of the private key', () => {
    const pub = parseTpmtPublic(rsaArea);
    assert.equal(pub.type, 'rsa');
    const key = tpmPublicKey(pub);
    const msg = new Uint8Array([1, 2, 3]);
    assert.equal(verify('sha256', msg, key, sign('sha256', msg, rsa.privateKey)), true);
  });

  test('turns an ECC P-256 public area into the same key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicJwkOf(ec.publicKey) as { x: string; y: string };
    const key = tpmPublicKey(parseTpmtPublic(eccPublic(fromBase64Url(jwk.x), fromBase64Url(jwk.y))));
    const msg = new Uint8Array([9]);
    assert.equal(verify('sha256', msg, key, sign('sha256', msg, ec.privateKey)), true);
  });

  test('accepts the TPM2B_PUBLIC wrapper and rejects a wrong size', () => {
    assert.equal(parseTpmtPublic(concatBytes(u16(rsaArea.length), rsaArea), true).type, 'rsa');
    assert.throws(() => parseTpmtPublic(concatBytes(u16(rsaArea.length + 1), rsaArea), true), MalformedInput);
  });

  test('rejects every truncation and trailing bytes', () => {
    for (let n = 0; n < rsaArea.length; n++) assert.throws(() => parseTpmtPublic(rsaArea.subarray(0, n)), MalformedInput);
    assert.throws(() => parseTpmtPublic(concatBytes(rsaArea, new Uint8Array([0]))), MalformedInput);
  });

  test('never throws anything but MalformedInput on random byte flips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rsaArea.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = new Uint8Array(rsaArea);
        m[i]! ^= x;
        try {
          tpmPublicKey(parseTpmtPublic(m));
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
