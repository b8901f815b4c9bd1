import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VerificationFailed } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { CheckTrace } from '../common/check-trace.js';
import { encodeSnpReport, parseSnpReport, type SnpReport } from './report.js';
import { checkGeneration, checkReportSignature, checkReportTcb, checkVersion, checkVmpl } from './verify.js';
import { parseVek, type VekInfo } from './vek.js';

const base = () => parseSnpReport(fixture('snp/test-vlek-report.bin'));
const check = (f: (t: CheckTrace) => void): string | undefined => {
  try {
    f(new CheckTrace());
    return undefined;
  } catch (e) {
    assert.ok(e instanceof VerificationFailed);
    return e.check;
  }
};
const turin = (): SnpReport => ({ ...base(), cpuidFamId: 0x1a, cpuidModId: 0x02, reportedTcb: { fmc: 2, bootloader: 1, tee: 1, snp: 3, microcode: 4 }, chipId: new Uint8Array(64).fill(7) });
const vcekInfo = (fmc: number | undefined, hwId?: Uint8Array): VekInfo => ({ kind: 'VCEK', tcb: { bootloader: 1, tee: 1, snp: 3, microcode: 4, fmc }, hwId });

describe('checkVersion and checkGeneration', () => {
  test('accept versions 3 to 5 and refuse 2 and 6', () => {
    for (const v of [3, 4, 5]) assert.equal(check((t) => checkVersion({ ...base(), version: v }, t)), undefined);
    for (const v of [2, 6]) assert.equal(check((t) => checkVersion({ ...base(), version: v }, t)), 'snp.report.version');
  });

  test('names the generation and refuses an unknown family under the given prefix', () => {
    const t = new CheckTrace();
    assert.equal(checkGeneration(turin(), t), 'Turin');
    assert.equal(check((tr) => checkGeneration({ ...base(), cpuidFamId: 0x17 }, tr, 'az.snp')), 'az.snp.report.generation');
  });
});

describe('checkReportTcb', () => {
  test('compares the FMC SPL on Turin', () => {
    assert.equal(check((t) => checkReportTcb(turin(), vcekInfo(2), t)), undefined);
    assert.equal(check((t) => checkReportTcb(turin(), vcekInfo(3), t)), 'snp.report.tcb');
    assert.equal(check((t) => checkReportTcb(turin(), vcekInfo(undefined), t)), 'snp.report.tcb');
  });

  test('compares an 8-byte Turin hwID with the first 8 bytes of chip_id, and skips a masked chip id', () => {
    assert.equal(check((t) => checkReportTcb(turin(), vcekInfo(2, new Uint8Array(8).fill(7)), t)), undefined);
    assert.equal(check((t) => checkReportTcb(turin(), vcekInfo(2, new Uint8Array(8).fill(8)), t)), 'snp.report.chip_id');
    assert.equal(check((t) => checkReportTcb({ ...turin(), chipId: new Uint8Array(64) }, vcekInfo(2, new Uint8Array(8).fill(8)), t)), undefined);
  });
});

describe('checkVmpl', () => {
  test('refuses VMPL 1', () => {
    assert.equal(check((t) => checkVmpl(base(), t)), 'snp.report.vmpl');
    assert.equal(check((t) => checkVmpl({ ...base(), vmpl: 0 }, t)), undefined);
  });
});

describe('checkReportSignature', () => {
  const vlek = parseVek(fixture('snp/test-vlek.der'));
  test('refuses a signature algorithm other than ECDSA P-384 and non-zero padding in r', () => {
    const r = base();
    const bytes = encodeSnpReport(r);
    assert.equal(check((t) => checkReportSignature(bytes, r, vlek, t)), undefined);
    assert.equal(check((t) => checkReportSignature(bytes, { ...r, sigAlgo: 2 }, vlek, t)), 'snp.report.signature');
    const padded = { ...r, signature: { r: new Uint8Array(r.signature.r), s: r.signature.s } };
    padded.signature.r[60] = 1;
    assert.equal(check((t) => checkReportSignature(bytes, padded, vlek, t)), 'snp.report.signature');
  });
});
