/**
 * Generic TPM checks beyond the shared quote checks: nonce and PCR 8 init-data binding.
 * @module
 */
import { bytesEqual, concatBytes, resizeBytes, sha256, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import type { TpmsAttest } from '../common/tpm/attest.js';

/** The attester passes the report data resized to 32 bytes as qualifying data (`TPM_REPORT_DATA_SIZE`). */
export const TPM_REPORT_DATA_SIZE = 32;
export const INITDATA_PCR = 8;

/**
 * extraData == expected report data resized (truncated or zero-padded) to 32 bytes, as upstream.
 * Older attesters passed the full 64-byte report data; a nonce longer than 32 bytes is compared at
 * its own width (at most 64).
 */
export function checkNonce(attest: TpmsAttest, expected: Uint8Array | undefined, trace: CheckTrace): void {
  if (!expected) return;
  const width = Math.min(64, Math.max(TPM_REPORT_DATA_SIZE, attest.extraData.length));
  const want = resizeBytes(expected, width);
  trace.require(bytesEqual(want, attest.extraData), 'tpm.nonce', 'the TPM quote nonce does not match the expected report data', {
    expected: toHex(want),
    actual: toHex(attest.extraData),
  });
}

/** PCR 8 == SHA-256(32 zero bytes ‖ init-data digest resized to 32). */
export function checkInitData(pcrs: Uint8Array[], expected: Uint8Array | undefined, trace: CheckTrace): void {
  if (!expected) return;
  const want = sha256(concatBytes(new Uint8Array(32), resizeBytes(expected, 32)));
  const pcr = pcrs[INITDATA_PCR]!;
  trace.require(bytesEqual(want, pcr), 'tpm.init_data', `PCR ${INITDATA_PCR} does not carry the expected init-data digest`, { expected: toHex(want), actual: toHex(pcr) });
}
