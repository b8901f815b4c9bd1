/**
 * Collateral for verifiers: where VCEKs and TDX DCAP collateral come from when the
 * evidence does not carry them. Each source implements an interface of `verifier/verifier.ts`.
 * @module
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerifierEnv } from '../../verifier/index.js';
import { snpOfflineVekSource } from './snp-offline.js';
import { tdxCollateralFromDir } from './tdx-offline.js';

export { snpOfflineVekSource, snpHwId, snpTcbPrefix } from './snp-offline.js';
export { snpKdsVekSource, kdsVcekUrl, httpsGet, AMD_KDS_URL } from './snp-kds.js';
export type { SnpKdsOptions, HttpGet, HttpResponse } from './snp-kds.js';
export { tdxCollateralFromDir, loadTdxCollateralDir, loadTdxCollateralFile, offlineTdxCollateral } from './tdx-offline.js';
export type { OfflineCollateral, TcbUpdateType } from './tdx-offline.js';
export { pcsTdxCollateral, INTEL_PCS_URL } from './tdx-pcs.js';
export type { PcsOptions } from './tdx-pcs.js';
export { tdxCollateralSource } from './tdx-source.js';

export { firstSnpVekSource, snpVekSourceFromConfig, SNP_OFFLINE_STORE_PATH } from './snp-config.js';

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/**
 * Verifier collateral from a directory (`coco evidence verify --collateral DIR`): `DIR/vcek/...`
 * is an SNP offline VCEK store. One line per kind of collateral.
 */
export async function loadCollateralDir(dir: string): Promise<VerifierEnv> {
  const env: VerifierEnv = {};
  if (await isDir(join(dir, 'vcek'))) env.snpVek = snpOfflineVekSource(dir);
  if (await isDir(dir)) env.tdxCollateral = await tdxCollateralFromDir(dir);
  return env;
}
