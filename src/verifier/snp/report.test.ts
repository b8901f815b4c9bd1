import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { reportToJson } from './evidence.js';
import { encodeSnpReport, parseSnpReport, snpGeneration } from './report.js';

const milanV2 = fixture('snp/test-report.bin');
const vlekV3 = fixture('snp/test-vlek-report.bin');
const hclInner = fixture('az-snp-vtpm/hcl-report.bin').subarray(0x20, 0x20 + 1184);

describe('parseSnpReport', () => {
  test('reads the documented fields of the Milan v2 test report', () => {
    const r = parseSnpReport(milanV2);
    assert.equal(r.version, 2);
    assert.equal(r.vmpl, 0);
    assert.equal(r.policy, 0x3001fn);
    assert.deepEqual(r.reportedTcb, { fmc: null, bootloader: 3, tee: 0, snp: 8, microcode: 115 });
    assert.equal(toHex(r.measurement), 'a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c');
    assert.equal(r.cpuidFamId, null);
    assert.equal(snpGeneration(r), undefined);
  });

  test('reads the VLEK report as v3 Milan at VMPL 1 with a masked chip id', () => {
    const r = parseSnpReport(vlekV3);
    assert.equal(r.version, 3);
    assert.equal(r.vmpl, 1);
    assert.equal(r.keyInfo, 4);
    assert.equal(snpGeneration(r), 'Milan');
    assert.deepEqual(r.reportedTcb, { fmc: null, bootloader: 4, tee: 0, snp: 24, microcode: 217 });
    assert.ok(r.chipId.every((b) => b === 0));
  });

  test('re-encodes every real report byte for byte', () => {
    for (const b of [milanV2, vlekV3, hclInner]) assert.equal(toHex(encodeSnpReport(parseSnpReport(b))), toHex(b));
  });

  test('uses the Turin TCB layout (FMC first) when CPUID says family 0x1A', () => {
    const r = parseSnpReport(vlekV3);
    r.cpuidFamId = 0x1a;
    r.cpuidModId = 0x02;
    r.reportedTcb = { fmc: 5, bootloader: 3, tee: 1, snp: 8, microcode: 15 };
    const bytes = encodeSnpReport(r);
    assert.deepEqual([...bytes.subarray(0x180, 0x188)], [5, 3, 1, 8, 0, 0, 0, 15]);
    assert.deepEqual(parseSnpReport(bytes).reportedTcb, r.reportedTcb);
    assert.equal(snpGeneration(r), 'Turin');
  });

  test('rejects any size other than 1184 bytes', () => {
    for (const n of [0, 1, 0x2a0, 1183]) assert.throws(() => parseSnpReport(milanV2.subarray(0, n)), MalformedInput);
    assert.throws(() => parseSnpReport(new Uint8Array(1185)), MalformedInput);
  });

  test('a flipped reserved byte changes nothing that is parsed', () => {
    const base = JSON.stringify(reportToJson(parseSnpReport(vlekV3)));
    // Reserved (ABI Table 23): 0x4C–0x4F, 0x18B–0x19F, 0x1EB, 0x1EF, 0x1F8–0x29F below v5, 0x330–0x49F, and TCB bytes 2–5 (Milan).
    const reserved = [0x4c, 0x4f, 0x18b, 0x19f, 0x1eb, 0x1ef, 0x1f8, 0x207, 0x208, 0x29f, 0x330, 0x49f, 0x182, 0x185, 0x3a, 0x1e3, 0x1f4];
    for (const i of reserved) {
      const b = new Uint8Array(vlekV3);
      b[i]! ^= 0xff;
      assert.equal(JSON.stringify(reportToJson(parseSnpReport(b))), base, `offset 0x${i.toString(16)}`);
    }
  });

  test('a byte flip of either real report parses, and parse/encode is then a fixed point', () => {
    fc.assert(
      fc.property(fc.constantFrom(milanV2, vlekV3), fc.nat(1183), fc.integer({ min: 1, max: 255 }), (real, i, x) => {
        const b = new Uint8Array(real);
        b[i]! ^= x;
        const once = encodeSnpReport(parseSnpReport(b));
        assert.deepEqual(encodeSnpReport(parseSnpReport(once)), once);
        // The signature is outside every layout choice: it always survives as flipped.
        if (i >= 0x2a0 && i < 0x2a0 + 144) assert.equal(once[i], b[i]);
      }),
      { numRuns: 200 },
    );
  });

  test('every truncation or extension of a real report is MalformedInput', () => {
    fc.assert(
      fc.property(fc.constantFrom(milanV2, vlekV3), fc.nat(1183 + 64), (real, n) => {
        const b = n < 1184 ? real.subarray(0, n) : Uint8Array.from([...real, ...new Uint8Array(n - 1183)]);
        assert.throws(() => parseSnpReport(b), MalformedInput);
      }),
      { numRuns: 200 },
    );
  });

  test('parses any 1184 bytes without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1184, maxLength: 1184 }), (b) => {
        encodeSnpReport(parseSnpReport(b));
      }),
      { numRuns: 200 },
    );
  });
});

describe('snpGeneration', () => {
  test('maps CPUID family/model to Milan, Genoa and Turin and nothing else', () => {
    const g = (f: number, m: number) => snpGeneration({ cpuidFamId: f, cpuidModId: m });
    assert.equal(g(0x19, 0x01), 'Milan');
    assert.equal(g(0x19, 0x11), 'Genoa');
    assert.equal(g(0x19, 0xa0), 'Genoa');
    assert.equal(g(0x1a, 0x02), 'Turin');
    assert.equal(g(0x19, 0x20), undefined);
    assert.equal(g(0x1a, 0x12), undefined);
    assert.equal(g(0x17, 0x01), undefined);
  });
});
