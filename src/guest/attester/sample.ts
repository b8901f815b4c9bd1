/**
 * The sample attester (development only; never chosen by detection): evidence
 * `{"svn":"1","report_data":"<std base64>"}` through the verifier's own codec, and an in-memory
 * measurement register so the runtime-measurement path can be exercised without hardware.
 * @module
 */
import { concatBytes, digest, type HashAlgorithm } from '../../core/index.js';
import { encodeSampleEvidence } from '../../verifier/index.js';
import type { Attester, BindResult } from './attester.js';

/** Create the sample attester. `registers` exposes the simulated PCRs for inspection. */
export function sampleAttester(): Attester & { registers: Map<number, Uint8Array> } {
  const registers = new Map<number, Uint8Array>();
  const alg: HashAlgorithm = 'sha256';
  return {
    tee: 'sample',
    registers,
    runtimeMeasurementAlgorithm: alg,
    async getEvidence(reportData: Uint8Array): Promise<unknown> {
      return encodeSampleEvidence(reportData);
    },
    async bindInitData(): Promise<BindResult> {
      return 'unsupported';
    },
    async extendRuntimeMeasurement(d: Uint8Array, pcr: number): Promise<void> {
      const old = registers.get(pcr) ?? new Uint8Array(32);
      registers.set(pcr, digest(alg, concatBytes(old, d)));
    },
  };
}
