/**
 * The Intel TDX verifier: DCAP quote v4/v5 with full ECDSA verification to the embedded Intel SGX
 * Root CA, TCB evaluation from collateral (TCB info, QE identity, CRLs), report-data and init-data
 * bindings, and CC event log replay. See README.md for the evidence format and the checks in order.
 * @module
 */
import { CheckTrace } from '../common/check-trace.js';
import type { Expected, TdxCollateral, Verifier, VerifierEnv, VerifierResult } from '../verifier.js';
import { toTdxClaims } from './claims.js';
import { parseTdxEvidence } from './evidence.js';
import { checkEventLog, checkInitData, checkReportData, createTdxCaches, verifyTdQuote, type CollateralMode, type VerifiedQuote } from './verify.js';

export { encodeTdxEvidence, parseTdxEvidence } from './evidence.js';
export type { TdxEvidence } from './evidence.js';
export { verifyTdQuote, checkReportData, checkInitData, createTdxCaches } from './verify.js';
export type { CollateralMode, VerifiedQuote, TdxCaches } from './verify.js';
export { toTdxClaims, tdAttributeFlags } from './claims.js';
export { parseTdQuote } from './quote.js';
export type { PlatformInfo } from './pck.js';
export type { TdQuote, TdReportBody } from './quote.js';
export { INTEL_SGX_ROOT_CA_PEM, INTEL_TCB_SIGNING_PEM } from './roots.js';

export interface TdxVerifierOptions {
  /** `require` (default): no collateral → `tdx.collateral` fails. `optional`: claims say `tcb_status: "Unavailable"`. */
  collateral?: CollateralMode;
}

/** Fetch collateral through the env's source; none configured means none available. */
export function collateralLookup(env: VerifierEnv): (fmspc: string, ca: 'platform' | 'processor') => Promise<TdxCollateral | undefined> {
  return async (fmspc, ca) => (env.tdxCollateral ? env.tdxCollateral.getCollateral(fmspc, ca) : undefined);
}

/**
 * A quote checker bound to the env's collateral source, a collateral mode and its own caches; the
 * `tdx` and `az-tdx-vtpm` verifiers each hold one.
 */
export function tdQuoteChecker(env: VerifierEnv, options: TdxVerifierOptions = {}): (quote: Uint8Array, now: Date, trace: CheckTrace) => Promise<VerifiedQuote> {
  const mode = options.collateral ?? 'require';
  const lookup = collateralLookup(env);
  const caches = createTdxCaches();
  return (quote, now, trace) => verifyTdQuote(quote, now, trace, lookup, mode, caches);
}

/**
 * Build the `tdx` verifier.
 * @example createVerifier('tdx', { tdxCollateral: await loadTdxCollateralDir('collateral/') })
 */
export function tdxVerifier(env: VerifierEnv, options: TdxVerifierOptions = {}): Verifier {
  const checkQuote = tdQuoteChecker(env, options);
  return {
    tee: 'tdx',
    async evaluate(evidence: unknown, expected: Expected, now: Date): Promise<VerifierResult> {
      const ev = parseTdxEvidence(evidence);
      const trace = new CheckTrace();
      const { quote, platform, supplemental } = await checkQuote(ev.quote, now, trace);
      checkReportData(quote, expected, trace);
      checkInitData(quote, expected, trace);
      const ccel = ev.ccEventLog ? checkEventLog(quote, ev.ccEventLog, trace) : undefined;
      const claims = { ...toTdxClaims(quote, ccel, platform), ...supplemental };
      return { claims, teeClass: 'cpu', checks: trace.records };
    },
  };
}
