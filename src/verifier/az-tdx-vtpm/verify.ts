/**
 * The Azure TDX vTPM checks that are not the TD quote's own (those are `tdx`'s, with `tdx.*` ids):
 * the HCL report holds a TD report whose REPORT_DATA is the quote's, and the quote's
 * REPORT_DATA[0..32] is SHA-256 of the HCL variable data (which carries the vTPM AK).
 * Layout: TDREPORT_STRUCT = REPORTMACSTRUCT (256 B: type 8, reserved 8, CPUSVN 16, TEE_TCB_INFO_HASH
 * 48, TEE_INFO_HASH 48, REPORTDATA 64, reserved 32, MAC 32) ‖ TEE_TCB_INFO ‖ reserved ‖ TDINFO
 * (Intel TDX Module ABI §4.7.x).
 * @module
 */
import { bytesEqual, sha256, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import type { HclReport } from '../common/hcl.js';
import type { TdQuote } from '../tdx/index.js';

/** REPORTMACSTRUCT.REPORTTYPE.TYPE = 0x81 (TDX) and REPORTDATA offset. */
const TD_REPORT_TYPE_TDX = 0x81;
const TD_REPORT_DATA_OFFSET = 128;

/** The HCL report carries a TD report of type TDX whose REPORTDATA equals the TD quote's (`az.hcl.td_report`). */
export function checkTdReport(hcl: HclReport, quote: TdQuote, trace: CheckTrace): void {
  const td = hcl.hwReport;
  const rd = td.subarray(TD_REPORT_DATA_OFFSET, TD_REPORT_DATA_OFFSET + 64);
  const ok = hcl.reportType === 'tdx' && td[0] === TD_REPORT_TYPE_TDX && bytesEqual(rd, quote.body.reportData);
  trace.require(ok, 'az.hcl.td_report', 'the HCL report does not hold the TD report the TD quote was made from', {
    expected: toHex(quote.body.reportData),
    actual: toHex(rd),
  });
}

/** SHA-256(variable data) == TD quote REPORT_DATA[0..32] (`az.hcl.var_data`). */
export function checkTdVarDataBinding(hcl: HclReport, quote: TdQuote, trace: CheckTrace): void {
  const h = sha256(hcl.varData);
  const rd = quote.body.reportData.subarray(0, 32);
  trace.require(bytesEqual(h, rd), 'az.hcl.var_data', 'the HCL variable data is not the data the TD quote binds', { expected: toHex(rd), actual: toHex(h) });
}
