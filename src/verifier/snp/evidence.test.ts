import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../../core/index.js';
import { fixture, fixtureJson } from '../../../test/support/fixtures.js';
import { encodeSnpEvidence, parseSnpEvidence, reportToJson } from './evidence.js';

type Json = Record<string, unknown>;
const genoa = fixtureJson<{ attestation_report: Json; cert_chain: Json[] }>('snp/genoa-evidence.json');
const clone = <T>(v: T): T => structuredClone(v);

describe('parseSnpEvidence', () => {
  test('parses the Genoa evidence and its VCEK entry', () => {
    const ev = parseSnpEvidence(genoa);
    assert.equal(ev.report.version, 3);
    assert.equal(ev.report.cpuidModId, 0xa0);
    assert.equal(ev.reportBytes.length, 1184);
    assert.equal(ev.certChain?.length, 1);
    assert.equal(ev.certChain?.[0]?.certType, 'VCEK');
  });

  test('gives back the same report JSON it parsed (fields the fixture predates are null)', () => {
    const json = reportToJson(parseSnpEvidence(genoa).report);
    assert.equal(json.launch_mit_vector, null);
    delete json.launch_mit_vector;
    delete json.current_mit_vector;
    assert.deepEqual(json, genoa.attestation_report);
  });

  test('accepts a null certificate table and OTHER entries', () => {
    assert.equal(parseSnpEvidence({ ...genoa, cert_chain: null }).certChain, null);
    const other = parseSnpEvidence({ ...genoa, cert_chain: [{ cert_type: { OTHER: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1' }, data: [1] }] });
    assert.deepEqual(other.certChain?.[0]?.certType, { OTHER: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1' });
  });

  test('rejects wrong types, wrong lengths, out-of-range bytes and unknown certificate types', () => {
    const cases: Array<(e: { attestation_report: Json; cert_chain: Json[] }) => void> = [
      (e) => (e.attestation_report.version = '3'),
      (e) => (e.attestation_report.vmpl = -1),
      (e) => (e.attestation_report.policy = 1.5),
      (e) => (e.attestation_report.measurement = [1, 2, 3]),
      (e) => ((e.attestation_report.report_data as number[])[0] = 256),
      (e) => (e.attestation_report.reported_tcb = { bootloader: 1 }),
      (e) => delete e.attestation_report.signature,
      (e) => (e.cert_chain[0]!.cert_type = 'PEK'),
      (e) => (e.cert_chain[0]!.data = 'MIIB'),
    ];
    for (const mutate of cases) {
      const e = clone(genoa);
      mutate(e);
      assert.throws(() => parseSnpEvidence(e), MalformedInput, mutate.toString());
    }
    assert.throws(() => parseSnpEvidence([]), MalformedInput);
  });

  test('never throws anything but MalformedInput when a field is replaced by random JSON', () => {
    const keys = Object.keys(genoa.attestation_report);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (k, v) => {
        const e = clone(genoa);
        e.attestation_report[k] = v;
        try {
          parseSnpEvidence(e);
        } catch (err) {
          assert.ok(err instanceof MalformedInput, String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeSnpEvidence', () => {
  test('encodes raw report bytes and a certificate table that parse back to the same bytes', () => {
    const report = fixture('snp/test-vlek-report.bin');
    const vlek = fixture('snp/test-vlek.der');
    const json = JSON.parse(JSON.stringify(encodeSnpEvidence(report, [{ certType: 'VLEK', data: vlek }])));
    const ev = parseSnpEvidence(json);
    assert.equal(toHex(ev.reportBytes), toHex(report));
    assert.equal(toHex(ev.certChain![0]!.data), toHex(vlek));
    assert.equal(json.cert_chain[0].cert_type, 'VLEK');
  });
});
