import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, sha256, toHex } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { HCL, parseHclReport, parseHclVarData } from './hcl.js';

const snpHcl = fixture('az-snp-vtpm/hcl-report.bin');
const tdxHcl = fixture('az-tdx-vtpm/hcl-report.bin');
/** SEV-SNP ABI: report_data at 0x50 of the attestation report. */
const SNP_REPORT_DATA = 0x50;

describe('parseHclReport', () => {
  test('finds the SNP report and the variable data whose SHA-256 it binds', () => {
    const h = parseHclReport(snpHcl);
    assert.equal(h.reportType, 'snp');
    assert.equal(h.hwReport.length, 1184);
    assert.equal(h.varData.length, 1110);
    assert.equal(h.requestData.variableDataSize, 1110);
    assert.deepEqual(sha256(h.varData), h.hwReport.subarray(SNP_REPORT_DATA, SNP_REPORT_DATA + 32));
  });

  test('finds the TD report in an Azure TDX HCL report', () => {
    const h = parseHclReport(tdxHcl);
    assert.equal(h.reportType, 'tdx');
    assert.equal(h.hwReport.length, 1024);
    assert.equal(h.varData.length, 1201);
  });

  test('reads the AK and the all-zero user-data from the variable data of a v1 report', () => {
    const v = parseHclVarData(parseHclReport(snpHcl).varData);
    assert.equal(v.akPub.asymmetricKeyType, 'rsa');
    assert.deepEqual(v.userData, new Uint8Array(64));
  });

  test('rejects a wrong magic, an unknown report type and a non-SHA-256 hash type', () => {
    const at = (i: number, v: number) => {
      const b = new Uint8Array(snpHcl);
      b[i] = v;
      return b;
    };
    assert.throws(() => parseHclReport(at(0, 0x41)), MalformedInput);
    assert.throws(() => parseHclReport(at(HCL.REQUEST_DATA_OFFSET + 8, 3)), MalformedInput);
    assert.throws(() => parseHclReport(at(HCL.REQUEST_DATA_OFFSET + 12, 2)), MalformedInput);
  });

  test('rejects truncation before the end of the variable data', () => {
    const end = HCL.VAR_DATA_OFFSET + 1110;
    for (const n of [0, 3, 0x20, 0x4c0, 0x4d3, end - 1]) assert.throws(() => parseHclReport(snpHcl.subarray(0, n)), MalformedInput);
    assert.equal(parseHclReport(snpHcl.subarray(0, end)).varData.length, 1110);
  });

  test('a byte flip anywhere yields a typed error or a report identical outside that byte', () => {
    const base = parseHclReport(snpHcl);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: snpHcl.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = new Uint8Array(snpHcl);
        b[i]! ^= x;
        let h;
        try {
          h = parseHclReport(b);
          parseHclVarData(h.varData);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
          return;
        }
        // Outside the hardware report, the request data and the variable data nothing is parsed.
        const inVar = i >= HCL.VAR_DATA_OFFSET && i < HCL.VAR_DATA_OFFSET + 1110;
        const inHw = i >= HCL.HW_REPORT_OFFSET && i < HCL.REQUEST_DATA_OFFSET;
        if (!inVar && !inHw) {
          assert.equal(toHex(h.hwReport), toHex(base.hwReport));
          assert.equal(toHex(h.varData), toHex(base.varData));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseHclReport on the Azure TDX HCL report', () => {
  const base = parseHclReport(tdxHcl);
  const end = HCL.VAR_DATA_OFFSET + base.varData.length;

  test('any truncation is MalformedInput before the end of the variable data and identical after it', () => {
    fc.assert(
      fc.property(fc.constantFrom(snpHcl, tdxHcl), fc.nat(tdxHcl.length), (real, n) => {
        const full = parseHclReport(real);
        const cut = real.subarray(0, Math.min(n, real.length));
        if (cut.length < HCL.VAR_DATA_OFFSET + full.varData.length) {
          assert.throws(() => parseHclReport(cut), MalformedInput);
        } else {
          assert.equal(toHex(parseHclReport(cut).varData), toHex(full.varData));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a byte flip gives MalformedInput or a TD report and variable data that only the flip changed', () => {
    fc.assert(
      fc.property(fc.nat(tdxHcl.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = new Uint8Array(tdxHcl);
        b[i]! ^= x;
        let h;
        try {
          h = parseHclReport(b);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
          return;
        }
        if (i >= end || i < HCL.HW_REPORT_OFFSET) {
          assert.equal(toHex(h.hwReport), toHex(base.hwReport));
          if (i >= end) assert.equal(toHex(h.varData), toHex(base.varData));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseHclVarData', () => {
  test('rejects variable data without an HCLAkPub key or with bad user-data', () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    assert.throws(() => parseHclVarData(enc({ keys: [] })), MalformedInput);
    assert.throws(() => parseHclVarData(enc({ keys: [{ kid: 'HCLAkPub', kty: 'EC' }] })), MalformedInput);
    assert.throws(() => parseHclVarData(enc({ keys: [{ kid: 'HCLAkPub', kty: 'RSA', n: '!!', e: 'AQAB' }] })), MalformedInput);
    assert.throws(() => parseHclVarData(new Uint8Array([0xff, 0xfe])), MalformedInput);
  });
});
