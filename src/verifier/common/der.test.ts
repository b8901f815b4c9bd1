import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { MalformedInput } from '../../core/index.js';
import { TAG, decodeInteger, decodeOid, derChildren, expectTag, parseDer, readDer } from './der.js';

const spki = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));

describe('der', () => {
  test('reads the algorithm OIDs of an EC SPKI', () => {
    const top = expectTag(parseDer(spki), TAG.SEQUENCE, 'spki');
    const [alg] = derChildren(spki, top);
    const [oid, curve] = derChildren(spki, alg!);
    assert.equal(decodeOid(oid!.content), '1.2.840.10045.2.1');
    assert.equal(decodeOid(curve!.content), '1.2.840.10045.3.1.7');
  });

  test('decodes negative and positive integers', () => {
    assert.equal(decodeInteger(new Uint8Array([0x00, 0xff])), 255n);
    assert.equal(decodeInteger(new Uint8Array([0xff])), -1n);
  });

  test('rejects truncation at every length', () => {
    for (let n = 0; n < spki.length; n++) assert.throws(() => parseDer(spki.subarray(0, n)), MalformedInput);
  });

  test('never throws anything but MalformedInput on random mutations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: spki.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, b) => {
        const m = spki.slice();
        m[i] = b;
        try {
          const walk = (buf: Uint8Array, off: number, end: number): void => {
            let p = off;
            while (p < end) {
              const n = readDer(buf, p, end);
              if (n.tag & 0x20) walk(buf, n.contentStart, n.end);
              p = n.end;
            }
          };
          walk(m, 0, m.length);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
    );
  });
});
