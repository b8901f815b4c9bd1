/**
 * Verifier collateral from `[attestation_service.verifier_config]` (upstream keys):
 * `snp_verifier.vcek_sources` (OfflineStore / KDS, default KDS) and `dcap_verifier.collateral_service`
 * (`file://` or `https://`, default Intel PCS) with `tcb_update_type` (`early` | `standard`).
 * Sources fetch lazily; building them does no I/O except checking a `file://` path.
 * @module
 */
import { ConfigError, expectObject } from '../../core/index.js';
import type { VerifierEnv } from '../../verifier/index.js';
import { INTEL_PCS_URL, snpVekSourceFromConfig, tdxCollateralSource } from '../collateral/index.js';

const KNOWN = new Set(['snp_verifier', 'dcap_verifier', 'tpm_verifier', 'nvidia_verifier', 'nvidia_dpu_verifier']);

export async function verifierEnvFromConfig(verifierConfig: Record<string, unknown>): Promise<VerifierEnv> {
  const base = 'attestation_service.verifier_config';
  for (const k of Object.keys(verifierConfig)) if (!KNOWN.has(k)) throw new ConfigError(`unknown key ${base}.${k}`, { key: `${base}.${k}` });
  const wrap = <T>(key: string, fn: () => T): T => {
    try {
      return fn();
    } catch (cause) {
      if (cause instanceof ConfigError) throw cause;
      throw new ConfigError(`${base}.${key}: ${(cause as Error).message}`, { key: `${base}.${key}`, cause });
    }
  };
  const snpVek = wrap('snp_verifier', () => snpVekSourceFromConfig(verifierConfig.snp_verifier));
  const dcap = wrap('dcap_verifier', () => (verifierConfig.dcap_verifier === undefined ? {} : expectObject(verifierConfig.dcap_verifier, 'dcap_verifier')));
  const url = dcap.collateral_service ?? INTEL_PCS_URL;
  const update = dcap.tcb_update_type ?? 'early';
  if (typeof url !== 'string') throw new ConfigError(`${base}.dcap_verifier.collateral_service must be a string`, { key: `${base}.dcap_verifier.collateral_service` });
  if (update !== 'early' && update !== 'standard') {
    throw new ConfigError(`${base}.dcap_verifier.tcb_update_type must be "early" or "standard"`, { key: `${base}.dcap_verifier.tcb_update_type` });
  }
  const tdxCollateral = await tdxCollateralSource(url, { update });
  return { snpVek, tdxCollateral };
}
