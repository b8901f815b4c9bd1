/**
 * AMD SEV-SNP verifier (`tee: "snp"`). Evidence, chain of trust and checks: README.md.
 * @module
 */
import { CheckTrace } from '../common/check-trace.js';
import type { Certificate } from '../common/x509.js';
import type { Expected, Verifier, VerifierEnv, VerifierFactory, VerifierResult } from '../verifier.js';
import { snpClaims } from './claims.js';
import { parseSnpEvidence } from './evidence.js';
import type { SnpReport } from './report.js';
import {
  checkCertChain,
  checkGeneration,
  checkHostData,
  checkReportData,
  checkReportSignature,
  checkReportTcb,
  checkVersion,
  checkVmpl,
  resolveVek,
} from './verify.js';
import { amdRoots, readVekInfo } from './vek.js';

export { encodeSnpEvidence, parseSnpEvidence, reportToJson, snpEvidenceFromReport } from './evidence.js';
export type { SnpCertEntry, SnpCertType, SnpEvidence } from './evidence.js';
export { parseSnpReport, encodeSnpReport, snpGeneration, SNP } from './report.js';
export type { SnpReport, SnpGeneration, TcbVersion } from './report.js';
export { snpClaims, policyFields } from './claims.js';
export { amdRoots, parseVek, readVekInfo, VEK_OID } from './vek.js';
export type { VekInfo, AmdRoots } from './vek.js';
export { AMD_ROOTS_PEM } from './roots.js';
export { checkReportSignature, checkReportTcb, checkVmpl, checkVersion, checkGeneration, checkCertChain, checkReportData, checkHostData, SNP_REPORT_VERSIONS } from './verify.js';

/**
 * Appraise a hardware report whose endorsement key came from elsewhere (Azure's VCEK): version,
 * generation, embedded ARK → ASK → VCEK chain as of `now`, signature, TCB and VMPL. Used by
 * az-snp-vtpm with prefix `az.snp`.
 * @throws VerificationFailed naming the check
 */
export function verifySnpReportWithVek(report: SnpReport, reportBytes: Uint8Array, vek: Certificate, now: Date, trace: CheckTrace, p: string): void {
  checkVersion(report, trace, p);
  const gen = checkGeneration(report, trace, p);
  const roots = amdRoots(gen);
  const info = readVekInfo(vek);
  checkCertChain({ vek, info, chain: [vek, info.kind === 'VLEK' ? roots.asvk : roots.ask, roots.ark], origin: 'cert_chain' }, now, trace, p);
  checkReportSignature(reportBytes, report, vek, trace, p);
  checkReportTcb(report, info, trace, p);
  checkVmpl(report, trace, p);
}

/**
 * The SNP verifier. `env.snpVek` (offline store, KDS) is consulted only when the evidence carries
 * no certificate table.
 */
export const snpVerifier: VerifierFactory = (env: VerifierEnv): Verifier => ({
  tee: 'snp',
  async evaluate(evidence: unknown, expected: Expected, now: Date): Promise<VerifierResult> {
    const ev = parseSnpEvidence(evidence);
    const trace = new CheckTrace();
    const r = ev.report;
    checkVersion(r, trace);
    const gen = checkGeneration(r, trace);
    const choice = await resolveVek(r, ev.certChain, gen, env.snpVek, trace);
    checkCertChain(choice, now, trace);
    checkReportSignature(ev.reportBytes, r, choice.vek, trace);
    checkReportTcb(r, choice.info, trace);
    checkVmpl(r, trace);
    checkReportData(r, expected.reportData, trace);
    checkHostData(r, expected.initDataDigest, trace);
    return { claims: snpClaims(r), teeClass: 'cpu', checks: trace.records };
  },
});
