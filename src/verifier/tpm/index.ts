/**
 * Generic TPM verifier (`tee: "tpm"`). The quote is verified with the AK the evidence carries; trust
 * in that AK comes only from the appraisal policy (`ak_public` in the trusted-AK reference values),
 * as upstream. Evidence and checks: README.md.
 * @module
 */
import { toHex } from '../../core/index.js';
import { CheckTrace } from '../common/check-trace.js';
import { verifyTpmQuote } from '../common/tpm/quote.js';
import type { Expected, Verifier, VerifierFactory, VerifierResult } from '../verifier.js';
import { parseTpmEvidence } from './evidence.js';
import { INITDATA_PCR, checkInitData, checkNonce } from './verify.js';

export { parseTpmEvidence, encodeTpmEvidence } from './evidence.js';
export type { TpmEvidence } from './evidence.js';

export const tpmVerifier: VerifierFactory = (): Verifier => ({
  tee: 'tpm',
  async evaluate(evidence: unknown, expected: Expected): Promise<VerifierResult> {
    const ev = parseTpmEvidence(evidence);
    const trace = new CheckTrace();
    const attest = verifyTpmQuote(ev.quote, ev.akPublic, trace, 'tpm');
    checkNonce(attest, expected.reportData, trace);
    checkInitData(ev.quote.pcrs, expected.initDataDigest, trace);
    const claims: Record<string, unknown> = {
      init_data: toHex(ev.quote.pcrs[INITDATA_PCR]!),
      report_data: toHex(attest.extraData),
      ak_public: ev.akPublicText,
    };
    ev.quote.pcrs.forEach((p, i) => (claims[`pcr${String(i).padStart(2, '0')}`] = toHex(p)));
    return { claims, teeClass: 'cpu', checks: trace.records };
  },
});
