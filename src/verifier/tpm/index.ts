/**
 * Generic TPM verifier (`tee: "tpm"`). The quote is verified with the AK the evidence carries; trust
 * in that AK comes only from the appraisal policy (`ak_public` in the trusted-AK reference values),
 * as upstream. Evidence and checks: README.md.
 * @module
 */
import { CheckTrace } from '../common/check-trace.js';
import { verifyTpmQuote } from '../common/tpm/quote.js';
import type { Expected, Verifier, VerifierFactory, VerifierResult } from '../verifier.js';
import { parseTpmEvidence } from './evidence.js';
import { tpmClaims } from './claims.js';
import { checkInitData, checkNonce } from './verify.js';

export { parseTpmEvidence, encodeTpmEvidence } from './evidence.js';
export type { TpmEvidence } from './evidence.js';

/**
 * The generic TPM verifier: quote signature by `ak_public`, PCR digest, nonce, PCR 8 init-data.
 * @throws MalformedInput when the evidence does not parse
 * @throws VerificationFailed naming the check (`tpm.quote.signature`, `tpm.nonce`, ...)
 */
export const tpmVerifier: VerifierFactory = (): Verifier => ({
  tee: 'tpm',
  async evaluate(evidence: unknown, expected: Expected): Promise<VerifierResult> {
    const ev = parseTpmEvidence(evidence);
    const trace = new CheckTrace();
    const attest = verifyTpmQuote(ev.quote, ev.akPublic, trace, 'tpm');
    checkNonce(attest, expected.reportData, trace);
    checkInitData(ev.quote.pcrs, expected.initDataDigest, trace);
    return { claims: tpmClaims(ev.akPublicText, attest.extraData, ev.quote.pcrs), teeClass: 'cpu', checks: trace.records };
  },
});
