/**
 * Azure confidential VM with SEV-SNP and a paravisor vTPM (`tee: "az-snp-vtpm"`). Evidence, chain
 * of trust and checks: README.md.
 * @module
 */
import { CheckTrace } from '../common/check-trace.js';
import { parseHclReport } from '../common/hcl.js';
import { parseSnpReport, parseVek, verifySnpReportWithVek } from '../snp/index.js';
import type { Expected, Verifier, VerifierFactory, VerifierResult } from '../verifier.js';
import { azSnpClaims } from './claims.js';
import { parseAzSnpVtpmEvidence } from './evidence.js';
import { checkVtpm } from '../common/az-vtpm.js';
import { checkVarDataBinding } from './verify.js';

export { parseAzSnpVtpmEvidence, encodeAzSnpVtpmEvidence } from './evidence.js';
export type { AzSnpVtpmEvidence, AzVtpmQuote } from './evidence.js';
export { checkVarDataBinding } from './verify.js';

/**
 * The Azure SNP vTPM verifier. Needs no environment: the VCEK travels in the evidence and the AMD
 * roots are embedded.
 * @throws MalformedInput when the evidence, the HCL report or the VCEK does not parse
 * @throws VerificationFailed naming the check (`az.snp.report.signature`, `az.hcl.user_data`, ...)
 */
export const azSnpVtpmVerifier: VerifierFactory = (): Verifier => ({
  tee: 'az-snp-vtpm',
  async evaluate(evidence: unknown, expected: Expected, now: Date): Promise<VerifierResult> {
    const ev = parseAzSnpVtpmEvidence(evidence);
    const hcl = parseHclReport(ev.hclReport);
    const vcek = parseVek(ev.vcek);
    const trace = new CheckTrace();
    trace.require(hcl.reportType === 'snp', 'az.hcl.report_type', 'the HCL report does not hold an SEV-SNP report');
    const report = parseSnpReport(hcl.hwReport);
    verifySnpReportWithVek(report, hcl.hwReport, vcek, now, trace, 'az.snp');
    checkVarDataBinding(hcl, trace);
    const attest = checkVtpm(hcl, ev.quote, ev.version, expected, trace);
    return { claims: azSnpClaims(report, attest.extraData, ev.quote.pcrs), teeClass: 'cpu', checks: trace.records };
  },
});
