/**
 * TEE name → verifier factory, one line per TEE (STYLE habit 8).
 * @module
 */
import { Unsupported } from '../core/index.js';
import type { Tee } from '../protocol/index.js';
import { sampleDeviceVerifier, sampleVerifier } from './sample/index.js';
import { snpVerifier } from './snp/index.js';
import { azSnpVtpmVerifier } from './az-snp-vtpm/index.js';
import { tpmVerifier } from './tpm/index.js';
import { tdxVerifier } from './tdx/index.js';
import { azTdxVtpmVerifier } from './az-tdx-vtpm/index.js';
import type { Verifier, VerifierEnv, VerifierFactory } from './verifier.js';

export const VERIFIERS = {
  sample: sampleVerifier,
  sampledevice: sampleDeviceVerifier,
  snp: snpVerifier,
  'az-snp-vtpm': azSnpVtpmVerifier,
  tpm: tpmVerifier,
  tdx: (env) => tdxVerifier(env),
  'az-tdx-vtpm': (env) => azTdxVtpmVerifier(env),
} satisfies Partial<Record<Tee, VerifierFactory>>;

/** TEEs this build can verify. */
export function supportedTees(): Tee[] {
  return Object.keys(VERIFIERS) as Tee[];
}

/** Build the verifier for `tee`; throws `Unsupported` when there is none. */
export function createVerifier(tee: Tee, env: VerifierEnv = {}): Verifier {
  const factory = (VERIFIERS as Partial<Record<Tee, VerifierFactory>>)[tee];
  if (!factory) throw new Unsupported(`no verifier for TEE ${tee}`);
  return factory(env);
}
