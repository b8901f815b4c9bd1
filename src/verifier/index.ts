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
