/**
 * The attester contract (reference/guest-components.md §1.3): gather hardware evidence bound to
 * report data, bind initdata, and extend runtime measurements where the TEE supports it.
 * @module
 */
import type { HashAlgorithm } from '../../core/index.js';
import type { Tee } from '../../protocol/index.js';

/** Result of binding initdata: checked against hardware / extended into a register, or not applicable. */
export type BindResult = 'bound' | 'unsupported';

export interface Attester {
  readonly tee: Tee;
  /**
   * Evidence JSON value for `reportData` (usually a 48-byte SHA-384 digest); the attester sizes it
   * to its hardware field itself (SNP/TDX 64, TPM 32).
   */
  getEvidence(reportData: Uint8Array): Promise<unknown>;
  /**
   * Bind the initdata digest: compare with HOST_DATA / MRCONFIGID, or extend PCR 8.
   * @throws VerificationFailed when the hardware value does not match (the guest must refuse to start)
   */
  bindInitData(digest: Uint8Array): Promise<BindResult>;
  /** Hash algorithm of the runtime-measurement register, when runtime measurement is supported. */
  readonly runtimeMeasurementAlgorithm?: HashAlgorithm;
  /** Extend a runtime-measurement register (PCR index as upstream, mapped per TEE). */
  extendRuntimeMeasurement?(digest: Uint8Array, pcr: number): Promise<void>;
  /** Release devices / connections. */
  close?(): Promise<void>;
}
