/**
 * Trustee: KBS, attestation service, RVPS, storage and the collateral sources verifiers consult.
 * @module
 */
export { snpOfflineVekSource, snpKdsVekSource, firstSnpVekSource, loadCollateralDir, kdsVcekUrl, snpHwId, snpTcbPrefix, httpsGet, AMD_KDS_URL, snpVekSourceFromConfig, SNP_OFFLINE_STORE_PATH } from './collateral/index.js';
export type { SnpKdsOptions, HttpGet, HttpResponse } from './collateral/index.js';
