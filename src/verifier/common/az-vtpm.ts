/**
 * Checks shared by the Azure vTPM verifiers (az-snp-vtpm, az-tdx-vtpm): the HCL variable data
 * yields the AK, the vTPM quote is signed by it, carries the nonce and covers the reported PCRs;
 * v2 evidence binds the nonce in `user-data`; PCR 8 carries the init-data digest. Check ids are
 * `<prefix>.hcl.*` / `<prefix>.tpm.*` (prefix `az`).
 * @module
 */
import { MalformedInput, bytesEqual, concatBytes, resizeBytes, sha256, toHex } from '../../core/index.js';
import type { Expected } from '../verifier.js';
import type { CheckTrace } from './check-trace.js';
import { parseHclVarData, type HclReport, type HclVarData } from './hcl.js';
import type { TpmsAttest } from './tpm/attest.js';
import { verifyTpmQuote } from './tpm/quote.js';

/** A vTPM quote as Azure evidence carries it. */
export interface AzVtpmQuote {
  /** Raw RSASSA-PKCS1-v1_5 signature bytes (not a TPMT_SIGNATURE). */
  signature: Uint8Array;
  /** Marshalled TPMS_ATTEST. */
  message: Uint8Array;
  /** SHA-256 PCRs 0..23. */
  pcrs: Uint8Array[];
}

/** The PCR Azure's attesters extend with the init-data digest. */
export const INITDATA_PCR = 8;

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

/**
 * The vTPM half of an Azure evidence appraisal, run once the hardware report has bound the HCL
 * variable data: AK from the variable data, quote signature and PCRs, nonce, (v2) user-data and
 * init data, in that order. Returns the quote's TPMS_ATTEST.
 */
export function checkVtpm(hcl: HclReport, quote: AzVtpmQuote, version: number, expected: Expected, trace: CheckTrace, p = 'az'): TpmsAttest {
  const vars = readVarData(hcl, trace, p);
  const attest = checkQuote(quote, vars, trace, p);
  checkNonce(attest, expected.reportData, trace, p);
  if (version >= 2) checkUserData(vars, expected.reportData, trace, p);
  checkInitData(quote.pcrs, expected.initDataDigest, trace, p);
  return attest;
}
