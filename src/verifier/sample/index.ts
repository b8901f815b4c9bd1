/**
 * The sample TEE (development only; refused by the default resource policy). Evidence:
 * `{"svn": "1", "report_data": "<std base64 of the runtime-data digest>"}` (reference/trustee.md §5.2).
 * `sampledevice` is the same evidence as a GPU-class device.
 * @module
 */
import { bytesEqual, expectObject, expectString, fromBase64, toBase64, toHex } from '../../core/index.js';
import type { Tee, TeeClass } from '../../protocol/index.js';
import { CheckTrace } from '../common/check-trace.js';
import type { Expected, Verifier, VerifierFactory, VerifierResult } from '../verifier.js';

interface SampleEvidence {
  svn: string;
  reportData: Uint8Array;
  reportDataText: string;
}

/** Parse sample evidence JSON. */
export function parseSampleEvidence(input: unknown): SampleEvidence {
  const o = expectObject(input, 'evidence');
  const reportDataText = expectString(o.report_data, 'evidence.report_data');
  return { svn: expectString(o.svn, 'evidence.svn'), reportData: fromBase64(reportDataText, 'evidence.report_data', true), reportDataText };
}

/** Build sample evidence for a runtime-data digest (used by the guest's sample attester). */
export function encodeSampleEvidence(reportData: Uint8Array, svn = '1'): { svn: string; report_data: string } {
  return { svn, report_data: toBase64(reportData) };
}

function makeSample(tee: Tee, teeClass: TeeClass): Verifier {
  return {
    tee,
    async evaluate(evidence: unknown, expected: Expected): Promise<VerifierResult> {
      const ev = parseSampleEvidence(evidence);
      const trace = new CheckTrace();
      if (expected.reportData) {
        trace.require(bytesEqual(ev.reportData, expected.reportData), `${tee}.report_data`, 'report data does not match the runtime-data digest', {
          expected: toHex(expected.reportData),
          actual: toHex(ev.reportData),
        });
      }
      const claims: Record<string, unknown> = {
        svn: ev.svn,
        report_data: ev.reportDataText,
        launch_digest: 'abcde',
        platform_version: { major: 1, minor: 4 },
        debug: false,
      };
      if (expected.initDataDigest) claims.init_data = toBase64(expected.initDataDigest);
      return { claims, teeClass, checks: trace.records };
    },
  };
}

export const sampleVerifier: VerifierFactory = () => makeSample('sample', 'cpu');
export const sampleDeviceVerifier: VerifierFactory = () => makeSample('sampledevice', 'gpu');
