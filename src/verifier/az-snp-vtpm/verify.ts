/**
 * Azure SEV-SNP vTPM checks beyond the SNP report itself (which `snp`'s checks cover with prefix
 * `az.snp`): the HCL variable data is bound by the hardware report, the vTPM quote is signed by the
 * AK from that variable data, carries the nonce, and covers the reported PCRs; v2 binds the nonce
 * in `user-data` too; PCR 8 carries the init-data digest.
 * @module
 */
import { MalformedInput, bytesEqual, concatBytes, resizeBytes, sha256, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import { parseHclVarData, type HclReport, type HclVarData } from '../common/hcl.js';
import type { TpmsAttest } from '../common/tpm/attest.js';
import { verifyTpmQuote } from '../common/tpm/quote.js';
import { SNP } from '../snp/index.js';
import type { AzVtpmQuote } from './evidence.js';

/** The PCR Azure's attester extends with the init-data digest. */
export const INITDATA_PCR = 8;

/** SHA-256(variable data) == the hardware report's report_data[0..32] (IGVM hash type SHA-256). */
export function checkVarDataBinding(hcl: HclReport, trace: CheckTrace, p = 'az'): void {
  const rd = hcl.hwReport.subarray(SNP.REPORT_DATA_OFFSET, SNP.REPORT_DATA_OFFSET + 32);
  const h = sha256(hcl.varData);
  trace.require(bytesEqual(h, rd), `${p}.hcl.var_data`, 'the HCL variable data is not the data the hardware report binds', { expected: toHex(rd), actual: toHex(h) });
}

/** Parse the (now bound) variable data: AK public key and user-data. */
export function readVarData(hcl: HclReport, trace: CheckTrace, p = 'az'): HclVarData {
  try {
    const v = parseHclVarData(hcl.varData);
    trace.pass(`${p}.hcl.ak_pub`);
    return v;
  } catch (cause) {
    if (!(cause instanceof MalformedInput)) throw cause;
    return trace.fail(`${p}.hcl.ak_pub`, `no usable attestation key in the HCL variable data: ${cause.message}`, { cause });
  }
}

/** Quote signature (RSASSA-PKCS1-v1_5 SHA-256 by the AK), structure and PCR digest. */
export function checkQuote(quote: AzVtpmQuote, vars: HclVarData, trace: CheckTrace, p = 'az'): TpmsAttest {
  return verifyTpmQuote({ message: quote.message, signature: { sigAlg: 'rsassa', hash: 'sha256', signature: quote.signature }, pcrs: quote.pcrs }, vars.akPub, trace, `${p}.tpm`);
}

/** The quote's qualifying data equals the expected report data exactly (no padding). */
export function checkNonce(attest: TpmsAttest, expected: Uint8Array | undefined, trace: CheckTrace, p = 'az'): void {
  if (!expected) return;
  trace.require(bytesEqual(attest.extraData, expected), `${p}.tpm.nonce`, 'the TPM quote nonce does not match the expected report data', {
    expected: toHex(expected),
    actual: toHex(attest.extraData),
  });
}

/** v2: the HCL `user-data` starts with the expected report data. */
export function checkUserData(vars: HclVarData, expected: Uint8Array | undefined, trace: CheckTrace, p = 'az'): void {
  if (!expected) return;
  const ud = vars.userData;
  const ok = ud !== undefined && ud.length >= expected.length && bytesEqual(ud.subarray(0, expected.length), expected);
  trace.require(ok, `${p}.hcl.user_data`, 'the HCL user-data does not match the expected report data', { expected: toHex(expected), actual: ud ? toHex(ud) : '(absent)' });
}

/** PCR 8 == SHA-256(32 zero bytes ‖ digest), the digest truncated or zero-padded to 32 bytes. */
export function checkInitData(pcrs: Uint8Array[], expected: Uint8Array | undefined, trace: CheckTrace, p = 'az'): void {
  if (!expected) return;
  const want = sha256(concatBytes(new Uint8Array(32), resizeBytes(expected, 32)));
  const pcr = pcrs[INITDATA_PCR]!;
  trace.require(bytesEqual(want, pcr), `${p}.tpm.init_data`, `PCR ${INITDATA_PCR} does not carry the expected init-data digest`, { expected: toHex(want), actual: toHex(pcr) });
}
