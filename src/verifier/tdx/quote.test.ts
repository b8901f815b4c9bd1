import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, concatBytes, toHex } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { parseTdQuote } from './quote.js';

describe('parseTdQuote', () => {
  test('parses a v4 quote: header, TDX 1.0 body and the PCK chain', () => {
    const q = parseTdQuote(fixture('tdx/tdx_quote_4.dat'));
    assert.equal(q.header.version, 4);
    assert.equal(q.header.teeType, 0x81);
    assert.equal(q.v5, undefined);
    assert.ok(toHex(q.body.mrTd).startsWith('705ee938'));
    assert.equal(q.body.teeTcbSvn2, undefined);
    assert.equal(q.signedBytes.length, 48 + 584);
    assert.equal(q.qeAuthData.length, 32);
    assert.equal((q.pckChainPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 3);
  });

  test('parses a v5 quote with a TDX 1.5 body', () => {
    const q = parseTdQuote(fixture('tdx/tdx_quote_5.dat'));
    assert.equal(q.header.version, 5);
    assert.equal(q.v5?.bodyType, 3);
    assert.equal(q.signedBytes.length, 48 + 6 + 648);
    assert.equal(q.body.mrServiceTd?.length, 48);
    assert.ok(toHex(q.body.mrTd).startsWith('dfba221b'));
  });

  test('parses a v5 quote with a TDX 1.0 body (type 2, 584 bytes) like the v4 body', () => {
    const q4 = fixture('tdx/tdx_quote_4.dat');
    const v5 = concatBytes(q4.subarray(0, 48), Uint8Array.from([2, 0, 0x48, 0x02, 0, 0]), q4.subarray(48));
    v5[0] = 5;
    const a = parseTdQuote(q4);
    const b = parseTdQuote(v5);
    assert.equal(b.v5?.bodyType, 2);
    assert.deepEqual(b.body, a.body);
    assert.equal(b.signedBytes.length, 48 + 6 + 584);
  });

  test('accepts zero padding after the signature data and rejects non-zero bytes there', () => {
    const q6 = fixture('tdx/tdx_quote_6.dat');
    assert.equal(parseTdQuote(q6).header.version, 4);
    const bad = q6.slice();
    bad[bad.length - 1] = 1;
    assert.throws(() => parseTdQuote(bad), /non-zero bytes after/);
  });

  test('rejects an SGX v3 quote', () => {
    assert.throws(() => parseTdQuote(fixture('tdx/sgx_occlum_quote.dat')), /version 3 is not a TDX quote/);
  });

  test('rejects a wrong attestation key type, TEE type and v5 body type', () => {
    const q = fixture('tdx/tdx_quote_5.dat');
    const k = q.slice();
    k[2] = 3;
    assert.throws(() => parseTdQuote(k), /ECDSA-P256/);
    const t = q.slice();
    t[4] = 0x80;
    assert.throws(() => parseTdQuote(t), /not TDX/);
    const b = q.slice();
    b[48] = 2; // type 2 with the TDX 1.5 size
    assert.throws(() => parseTdQuote(b), /body type/);
  });

  test('rejects every truncation of a quote', () => {
    const q = fixture('tdx/tdx_quote_4.dat');
    for (const cut of [0, 7, 48, 631, 636, 700, 1100, 1250, q.length - 1]) {
      assert.throws(() => parseTdQuote(q.subarray(0, cut)), MalformedInput, `cut at ${cut}`);
    }
  });

  test('rejects a signature-data length that overruns the quote', () => {
    const q = fixture('tdx/tdx_quote_4.dat').slice();
    new DataView(q.buffer).setUint32(48 + 584, 0xffffff, true);
    assert.throws(() => parseTdQuote(q), /overruns/);
  });

  test('never throws anything but MalformedInput on random flips and truncations', () => {
    const base = fixture('tdx/tdx_quote_5.dat');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(base.length), (flips, cut) => {
        const b = base.slice(0, cut);
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        try {
          parseTdQuote(b);
        } catch (e) {
          if (!(e instanceof MalformedInput)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
