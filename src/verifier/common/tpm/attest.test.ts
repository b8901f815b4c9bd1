import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, fromBase64, fromHex, sha256, toHex, utf8 } from '../../../core/index.js';
import { fixtureJson } from '../../../../test/support/fixtures.js';
import { TPM_ALG, computePcrDigest, encodeTpmsAttest, parseTpmsAttest } from './attest.js';

const v1 = fixtureJson<{ message: string; pcrs: string[] }>('az-snp-vtpm/tpm-quote-v1.json');
const v1Message = fromHex(v1.message);
const generic = fixtureJson<{ tpm_quote: { message: string; pcrs: string[] } }>('tpm/tpm_evidence.json');

describe('parseTpmsAttest', () => {
  test('reads the nonce, the PCR selection and the digest of a real Azure vTPM quote', () => {
    const a = parseTpmsAttest(v1Message);
    assert.deepEqual(a.extraData, utf8('challenge'));
    assert.deepEqual(a.pcrSelections, [{ hashAlg: TPM_ALG.SHA256, pcrs: Array.from({ length: 24 }, (_, i) => i) }]);
    assert.equal(toHex(a.pcrDigest), '0daff74c2fca14910b1e9b54a384707434c3365db9f163cc73a39a9f7500833f');
    assert.equal(a.qualifiedSigner.length, 34);
  });

  test('reads the 64-byte nonce of the generic TPM fixture', () => {
    const a = parseTpmsAttest(fromBase64(generic.tpm_quote.message));
    assert.equal(a.extraData.length, 64);
    assert.equal(toHex(a.extraData).slice(0, 16), 'a04182b506878d4f');
  });

  test('round-trips through encodeTpmsAttest byte for byte', () => {
    const a = parseTpmsAttest(v1Message);
    assert.deepEqual(encodeTpmsAttest(a), v1Message);
  });

  test('rejects a wrong magic, a non-quote type and trailing bytes', () => {
    const bad = (i: number, v: number) => {
      const m = new Uint8Array(v1Message);
      m[i] = v;
      return m;
    };
    assert.throws(() => parseTpmsAttest(bad(0, 0)), MalformedInput);
    assert.throws(() => parseTpmsAttest(bad(5, 0x17)), MalformedInput);
    assert.throws(() => parseTpmsAttest(new Uint8Array([...v1Message, 0])), MalformedInput);
  });

  test('rejects every truncation', () => {
    for (let n = 0; n < v1Message.length; n++) assert.throws(() => parseTpmsAttest(v1Message.subarray(0, n)), MalformedInput);
  });

  test('never throws anything but MalformedInput on a random byte flip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: v1Message.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = new Uint8Array(v1Message);
        m[i]! ^= x;
        try {
          parseTpmsAttest(m);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('computePcrDigest', () => {
  test('reproduces the digest a real quote signed over its 24 PCRs', () => {
    const a = parseTpmsAttest(v1Message);
    assert.deepEqual(computePcrDigest(a.pcrSelections, v1.pcrs.map((p) => fromHex(p))), a.pcrDigest);
  });

  test('hashes only the selected PCRs in index order', () => {
    const pcrs = Array.from({ length: 24 }, (_, i) => new Uint8Array(32).fill(i));
    const d = computePcrDigest([{ hashAlg: TPM_ALG.SHA256, pcrs: [1, 7] }], pcrs);
    assert.deepEqual(d, sha256(new Uint8Array([...pcrs[1]!, ...pcrs[7]!])));
  });

  test('rejects a selected PCR missing from the evidence and a SHA-1 bank', () => {
    assert.throws(() => computePcrDigest([{ hashAlg: TPM_ALG.SHA256, pcrs: [3] }], []), MalformedInput);
    assert.throws(() => computePcrDigest([{ hashAlg: TPM_ALG.SHA1, pcrs: [0] }], [new Uint8Array(20)]), MalformedInput);
  });
});
