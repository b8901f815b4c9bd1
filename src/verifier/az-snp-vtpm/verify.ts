/**
 * The Azure SEV-SNP binding of the HCL variable data (the vTPM checks are in
 * `../common/az-vtpm.ts`, the SNP report checks in `../snp`).
 * @module
 */
import { bytesEqual, sha256, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import type { HclReport } from '../common/hcl.js';
import { SNP } from '../snp/index.js';

/** SHA-256(variable data) == the hardware report's report_data[0..32] (IGVM hash type SHA-256). */
export function checkVarDataBinding(hcl: HclReport, trace: CheckTrace, p = 'az'): void {
  const rd = hcl.hwReport.subarray(SNP.REPORT_DATA_OFFSET, SNP.REPORT_DATA_OFFSET + 32);
  const h = sha256(hcl.varData);
  trace.require(bytesEqual(h, rd), `${p}.hcl.var_data`, 'the HCL variable data is not the data the hardware report binds', { expected: toHex(rd), actual: toHex(h) });
}
