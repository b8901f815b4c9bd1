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
export { encodeTdxEvidence, parseTdxEvidence, tdxVerifier, INTEL_SGX_ROOT_CA_PEM, INTEL_TCB_SIGNING_PEM } from './tdx/index.js';
export type { TdxEvidence, TdxVerifierOptions } from './tdx/index.js';
export { parseCcEventLog, eventLogClaims, replayRegister, findReplayMismatch, parseAaelText, aaelEventData, encodeAaelEntry, assembleCcEventLog, ccelSpecIdHeader, trimCcel } from './common/eventlog/index.js';
export type { CcEventLog, CcEvent, EventLogClaim, AaelEvent, AaelAlgorithm, TcgAlgorithmName } from './common/eventlog/index.js';
