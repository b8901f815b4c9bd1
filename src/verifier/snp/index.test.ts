import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, VerificationFailed, fromHex } from '../../core/index.js';
import { fixture, fixtureJson } from '../../../test/support/fixtures.js';
import { CheckTrace } from '../common/check-trace.js';
import type { SnpVekQuery } from '../verifier.js';
import { encodeSnpEvidence, parseSnpEvidence } from './evidence.js';
import { parseSnpReport } from './report.js';
import { snpVerifier } from './index.js';
import { checkReportSignature, checkReportTcb } from './verify.js';
import { parseVek, readVekInfo } from './vek.js';

type Ev = { attestation_report: Record<string, unknown>; cert_chain: Array<{ cert_type: unknown; data: number[] }> | null };
const genoa = fixtureJson<Ev>('snp/genoa-evidence.json');
const golden = JSON.parse(readFileSync(new URL('./testdata/genoa-evidence.claims.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const NOW = new Date('2026-01-01T00:00:00Z');
const clone = <T>(v: T): T => structuredClone(v);
const verifier = snpVerifier({});

async function failsWith(p: Promise<unknown>, check: string): Promise<VerificationFailed> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof VerificationFailed, String(e));
    assert.equal(e.check, check, e.message);
    assert.equal(e.trace.at(-1)?.id, check);
    return e;
  }
  assert.fail(`expected ${check} to fail`);
}

/** Offsets of a v3 Genoa report that its evidence JSON does not carry (ABI Table 23 reserved ranges). */
function notCarried(i: number): boolean {
  const tcbBase = i - (i % 8);
  const tcbReserved = [0x38, 0x180, 0x1e0, 0x1f0].includes(tcbBase) && i % 8 >= 2 && i % 8 <= 5;
  return i >= 0x330 || (i >= 0x18b && i < 0x1a0) || (i >= 0x1f8 && i < 0x2a0) || [0x4c, 0x4d, 0x4e, 0x4f, 0x1eb, 0x1ef].includes(i) || tcbReserved;
}

describe('snpVerifier.evaluate', () => {
  test('verifies the Genoa evidence offline against the embedded roots to the golden claims', async () => {
    const r = await verifier.evaluate(genoa, {}, NOW);
    assert.deepEqual(r.claims, golden);
    assert.equal(r.teeClass, 'cpu');
    assert.deepEqual(
      r.checks.map((c) => c.id),
      ['snp.report.version', 'snp.report.generation', 'snp.vek.source', 'snp.cert_chain.signature', 'snp.cert_chain.validity', 'snp.report.signature', 'snp.report.tcb', 'snp.report.chip_id', 'snp.report.vmpl'],
    );
  });

  test('checks report_data and host_data when they are expected', async () => {
    const reportData = fromHex(golden.report_data as string);
    const r = await verifier.evaluate(genoa, { reportData, initDataDigest: new Uint8Array(32) }, NOW);
    assert.deepEqual(r.checks.slice(-2).map((c) => c.id), ['snp.report.report_data', 'snp.report.host_data']);
  });

  test('rejects a wrong nonce (report data)', async () => {
    await failsWith(verifier.evaluate(genoa, { reportData: new Uint8Array(48).fill(7) }, NOW), 'snp.report.report_data');
  });

  test('rejects a wrong init-data digest (host data)', async () => {
    await failsWith(verifier.evaluate(genoa, { initDataDigest: new Uint8Array(32).fill(1) }, NOW), 'snp.report.host_data');
  });

  test('rejects a report whose measurement has one flipped byte', async () => {
    const e = clone(genoa);
    (e.attestation_report.measurement as number[])[5]! ^= 1;
    const err = await failsWith(verifier.evaluate(e, {}, NOW), 'snp.report.signature');
    assert.ok(err.trace.find((c) => c.id === 'snp.cert_chain.signature')?.ok);
  });

  test('rejects a report signed by another chip (wrong VCEK)', async () => {
    const e = clone(genoa);
    e.cert_chain = [{ cert_type: 'VCEK', data: Array.from(parseVek(fixture('az-snp-vtpm/vcek-genoa.pem')).der) }];
    await failsWith(verifier.evaluate(e, {}, NOW), 'snp.report.signature');
  });

  test('rejects a VCEK that does not chain to the roots of the report generation', async () => {
    const e = clone(genoa);
    e.cert_chain = [{ cert_type: 'VCEK', data: Array.from(fixture('snp/test-vcek.der')) }];
    await failsWith(verifier.evaluate(e, {}, NOW), 'snp.cert_chain.signature');
  });

  test('rejects a supplied ARK of another generation', async () => {
    const e = clone(genoa);
    const { amdRoots } = await import('./vek.js');
    e.cert_chain!.push({ cert_type: 'ARK', data: Array.from(amdRoots('Milan').ark.der) });
    await failsWith(verifier.evaluate(e, {}, NOW), 'snp.ark.provided');
  });

  test('rejects an unsupported CPU model before looking at keys', async () => {
    const e = clone(genoa);
    e.attestation_report.cpuid_mod_id = 0x50;
    await failsWith(verifier.evaluate(e, {}, NOW), 'snp.report.generation');
  });

  test('rejects a v2 report with the reason that v3 is needed for the CPU generation', async () => {
    const ev = encodeSnpEvidence(fixture('snp/test-report.bin'), [{ certType: 'VCEK', data: fixture('snp/test-vcek.der') }]);
    const err = await failsWith(verifier.evaluate(ev, {}, NOW), 'snp.report.version');
    assert.match(err.message, /version 2 is too old/);
  });

  test('verifies the VLEK chain only as of a date inside its validity, then refuses VMPL 1', async () => {
    const ev = encodeSnpEvidence(fixture('snp/test-vlek-report.bin'), [{ certType: 'VLEK', data: fixture('snp/test-vlek.der') }]);
    await failsWith(verifier.evaluate(ev, {}, NOW), 'snp.cert_chain.validity');
    const err = await failsWith(verifier.evaluate(ev, {}, new Date('2025-06-01T00:00:00Z')), 'snp.report.vmpl');
    for (const id of ['snp.cert_chain.signature', 'snp.cert_chain.validity', 'snp.report.signature', 'snp.report.tcb']) {
      assert.equal(err.trace.find((c) => c.id === id)?.ok, true, id);
    }
  });

  test('asks the VCEK source when the evidence has no certificate table, and fails closed without one', async () => {
    const e = { ...clone(genoa), cert_chain: null };
    await failsWith(verifier.evaluate(e, {}, NOW), 'snp.vek.source');
    const vcek = new Uint8Array(genoa.cert_chain![0]!.data);
    const seen: SnpVekQuery[] = [];
    const withSource = snpVerifier({ snpVek: { getVek: async (q) => (seen.push(q), vcek) } });
    const r = await withSource.evaluate(e, {}, NOW);
    assert.deepEqual(r.claims, golden);
    assert.equal(seen[0]?.generation, 'Genoa');
    assert.deepEqual(seen[0]?.tcb, { fmc: undefined, bootloader: 10, tee: 0, snp: 23, microcode: 25 });
  });

  test('fails closed when the certificate table has no endorsement key', async () => {
    const e = clone(genoa);
    e.cert_chain = [{ cert_type: 'CRL', data: [1, 2, 3] }];
    await failsWith(verifier.evaluate(e, {}, NOW), 'snp.vek.source');
  });

  test('throws MalformedInput for evidence that does not parse', async () => {
    await assert.rejects(verifier.evaluate({ attestation_report: {} }, {}, NOW), MalformedInput);
  });

  test('a flipped report byte gives a typed error, or identical claims when it is outside the signed and parsed bytes', async () => {
    const base = parseSnpEvidence(genoa);
    const certs = base.certChain;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1183 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const b = new Uint8Array(base.reportBytes);
        b[i]! ^= x;
        try {
          const r = await verifier.evaluate(encodeSnpEvidence(b, certs), {}, NOW);
          // Only bytes the JSON form does not carry (reserved fields, the signature's padding) may change without effect.
          assert.ok(notCarried(i), `offset 0x${i.toString(16)} is carried by the evidence JSON, yet the flip verified`);
          assert.deepEqual(r.claims, golden);
        } catch (e) {
          assert.ok(e instanceof VerificationFailed || e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('checkReportSignature and checkReportTcb on the raw Milan test report', () => {
  const bytes = fixture('snp/test-report.bin');
  const vek = parseVek(fixture('snp/test-vcek.der'));

  test('accept the report signed by test-vcek.der with a matching TCB', () => {
    const t = new CheckTrace();
    checkReportSignature(bytes, parseSnpReport(bytes), vek, t);
    checkReportTcb(parseSnpReport(bytes), readVekInfo(vek), t);
    assert.deepEqual(t.records.map((c) => [c.id, c.ok]), [['snp.report.signature', true], ['snp.report.tcb', true], ['snp.report.chip_id', true]]);
  });

  test('reject byte 42 flipped (signature) and byte 384 incremented (TCB)', () => {
    const b42 = new Uint8Array(bytes);
    b42[42]! += 1;
    assert.throws(() => checkReportSignature(b42, parseSnpReport(b42), vek, new CheckTrace()), (e: VerificationFailed) => e.check === 'snp.report.signature');
    const b384 = new Uint8Array(bytes);
    b384[384]! += 1;
    assert.throws(() => checkReportTcb(parseSnpReport(b384), readVekInfo(vek), new CheckTrace()), (e: VerificationFailed) => e.check === 'snp.report.tcb');
  });
});
