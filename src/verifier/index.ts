/**
 * Verifiers: one folder per TEE behind the `Verifier` contract, and their evidence codecs.
 * @module
 */
export { VERIFIERS, supportedTees, createVerifier } from './registry.js';
export type {
  Expected,
  Verifier,
  VerifierEnv,
  VerifierFactory,
  VerifierResult,
  SnpVekQuery,
  SnpVekSource,
  TdxCollateral,
  TdxCollateralSource,
} from './verifier.js';
export { CheckTrace } from './common/check-trace.js';
export { encodeSampleEvidence, parseSampleEvidence } from './sample/index.js';
export { encodeSnpEvidence, parseSnpEvidence, snpEvidenceFromReport, parseSnpReport, snpGeneration, amdRoots, AMD_ROOTS_PEM } from './snp/index.js';
export type { SnpCertEntry, SnpCertType, SnpEvidence, SnpReport, SnpGeneration, TcbVersion } from './snp/index.js';
export { encodeAzSnpVtpmEvidence, parseAzSnpVtpmEvidence } from './az-snp-vtpm/index.js';
export type { AzSnpVtpmEvidence, AzVtpmQuote } from './az-snp-vtpm/index.js';
export { parseHclReport, parseHclVarData, HCL, HCL_REPORT_TYPE } from './common/hcl.js';
export type { HclReport, HclVarData } from './common/hcl.js';
export { parseTpmsAttest, encodeTpmsAttest, computePcrDigest, TPM_ALG } from './common/tpm/attest.js';
export type { TpmsAttest, PcrSelection } from './common/tpm/attest.js';
export { parseTpmtSignature, encodeRsassaSignature, verifyTpmSignature } from './common/tpm/signature.js';
export type { TpmSignature } from './common/tpm/signature.js';
export { parseTpmtPublic, tpmPublicKey } from './common/tpm/public.js';
export type { TpmPublic } from './common/tpm/public.js';
export { encodeTpmEvidence, parseTpmEvidence } from './tpm/index.js';
export type { TpmEvidence } from './tpm/index.js';
export { encodeTdxEvidence, parseTdxEvidence, tdxVerifier, INTEL_SGX_ROOT_CA_PEM, INTEL_TCB_SIGNING_PEM } from './tdx/index.js';
export type { TdxEvidence, TdxVerifierOptions } from './tdx/index.js';
export { encodeAzTdxVtpmEvidence, parseAzTdxVtpmEvidence, azTdxVtpmVerifier } from './az-tdx-vtpm/index.js';
export type { AzTdxVtpmEvidence, AzTdxVtpmOptions } from './az-tdx-vtpm/index.js';
export { parseCcEventLog, eventLogClaims, replayRegister, findReplayMismatch, parseAaelText, aaelEventData, encodeAaelEntry, assembleCcEventLog, ccelSpecIdHeader, trimCcel } from './common/eventlog/index.js';
export type { CcEventLog, CcEvent, EventLogClaim, AaelEvent, AaelAlgorithm, TcgAlgorithmName } from './common/eventlog/index.js';
