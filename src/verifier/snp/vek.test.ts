import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { isSignedBy } from '../common/cert-chain.js';
import { parseSnpReport } from './report.js';
import { amdRoots, parseVek, readVekInfo } from './vek.js';

describe('readVekInfo', () => {
  test('reads the TCB and the hwID of the Milan test VCEK, which match its report', () => {
    const info = readVekInfo(parseVek(fixture('snp/test-vcek.der')));
    const report = parseSnpReport(fixture('snp/test-report.bin'));
    assert.equal(info.kind, 'VCEK');
    assert.deepEqual(info.tcb, { bootloader: 3, tee: 0, snp: 8, microcode: 115, fmc: undefined });
    assert.equal(toHex(info.hwId!), toHex(report.chipId));
  });

  test('parses the hwID in both the legacy raw and the DER OCTET STRING encodings', () => {
    const legacy = readVekInfo(parseVek(fixture('snp/test-vcek-invalid-legacy.der')));
    const current = readVekInfo(parseVek(fixture('snp/test-vcek-invalid-new.der')));
    assert.equal(legacy.hwId?.length, 64);
    assert.equal(current.hwId?.length, 64);
    assert.deepEqual(legacy.hwId, current.hwId);
    assert.equal(legacy.tcb.microcode, 169);
    assert.equal(current.tcb.microcode, 30);
  });

  test('reads a VLEK: no hwID, two-byte microcode SPL', () => {
    const info = readVekInfo(parseVek(fixture('snp/test-vlek.der')));
    assert.equal(info.kind, 'VLEK');
    assert.equal(info.hwId, undefined);
    assert.deepEqual(info.tcb, { bootloader: 4, tee: 0, snp: 24, microcode: 217, fmc: undefined });
  });

  test('accepts a PEM VEK (Azure serves PEM)', () => {
    assert.equal(readVekInfo(parseVek(fixture('az-snp-vtpm/vcek-genoa.pem'))).kind, 'VCEK');
  });

  test('refuses a certificate that is not an endorsement key', () => {
    assert.throws(() => readVekInfo(amdRoots('Milan').ark), MalformedInput);
  });

  test('never throws anything but MalformedInput when a byte of the VCEK is flipped', () => {
    const der = fixture('snp/test-vcek.der');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = new Uint8Array(der);
        b[i]! ^= x;
        try {
          readVekInfo(parseVek(b));
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('amdRoots', () => {
  for (const gen of ['Milan', 'Genoa', 'Turin'] as const) {
    test(`holds a self-signed ${gen} ARK that signed its ASK and ASVK`, () => {
      const r = amdRoots(gen);
      assert.deepEqual([r.ark.subjectCN, r.ask.subjectCN, r.asvk.subjectCN], [`ARK-${gen}`, `SEV-${gen}`, `SEV-VLEK-${gen}`]);
      assert.ok(isSignedBy(r.ark, r.ark));
      assert.ok(isSignedBy(r.ask, r.ark));
      assert.ok(isSignedBy(r.asvk, r.ark));
      assert.equal(isSignedBy(r.ask, r.asvk), false);
    });
  }
});
