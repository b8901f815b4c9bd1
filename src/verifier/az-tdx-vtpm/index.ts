/**
 * Azure confidential VM with Intel TDX and a paravisor vTPM (`tee: "az-tdx-vtpm"`). Evidence, chain
 * of trust and checks: README.md.
 * @module
 */
import { CheckTrace } from '../common/check-trace.js';
import { checkVtpm } from '../common/az-vtpm.js';
import { parseHclReport } from '../common/hcl.js';
import { tdQuoteChecker, type CollateralMode } from '../tdx/index.js';
import type { Expected, Verifier, VerifierEnv, VerifierResult } from '../verifier.js';
import { azTdxClaims } from './claims.js';
import { parseAzTdxVtpmEvidence } from './evidence.js';
import { checkTdReport, checkTdVarDataBinding } from './verify.js';

export { parseAzTdxVtpmEvidence, encodeAzTdxVtpmEvidence } from './evidence.js';
export type { AzTdxVtpmEvidence } from './evidence.js';

export interface AzTdxVtpmOptions {
  /** As for `tdx`: `require` (default) fails without collateral; `optional` reports `tcb_status: "Unavailable"`. */
  collateral?: CollateralMode;
}

/**
 * Build the `az-tdx-vtpm` verifier: the TD quote is verified as `tdx` (`tdx.*` checks), the HCL
 * report and vTPM quote as Azure's (`az.*` checks).
 */
export function azTdxVtpmVerifier(env: VerifierEnv, options: AzTdxVtpmOptions = {}): Verifier {
  const checkTdQuote = tdQuoteChecker(env, options);
  return {
    tee: 'az-tdx-vtpm',
    async evaluate(evidence: unknown, expected: Expected, now: Date): Promise<VerifierResult> {
      const ev = parseAzTdxVtpmEvidence(evidence);
      const hcl = parseHclReport(ev.hclReport);
      const trace = new CheckTrace();
      trace.require(hcl.reportType === 'tdx', 'az.hcl.report_type', 'the HCL report does not hold a TD report');
      const verified = await checkTdQuote(ev.tdQuote, now, trace);
      checkTdReport(hcl, verified.quote, trace);
      checkTdVarDataBinding(hcl, verified.quote, trace);
      const attest = checkVtpm(hcl, ev.quote, ev.version, expected, trace);
      return { claims: azTdxClaims(verified, attest.extraData, ev.quote.pcrs), teeClass: 'cpu', checks: trace.records };
    },
  };
}
