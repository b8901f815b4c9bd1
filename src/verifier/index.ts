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
export { encodeSnpEvidence, parseSnpEvidence, parseSnpReport, snpGeneration, amdRoots, AMD_ROOTS_PEM } from './snp/index.js';
export type { SnpCertEntry, SnpCertType, SnpEvidence, SnpReport, SnpGeneration, TcbVersion } from './snp/index.js';
