/**
 * Choose the TDX collateral source from one configuration string, as upstream's
 * `collateral_service`: `file:///path` (a directory, or one Intel PCS client tool JSON file) or an
 * `https://` PCS/PCCS base URL.
 * @module
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/index.js';
import type { TdxCollateralSource } from '../../verifier/index.js';
import { loadTdxCollateralFile, offlineTdxCollateral, tdxCollateralFromDir, type TcbUpdateType } from './tdx-offline.js';
import { pcsTdxCollateral, type PcsOptions } from './tdx-pcs.js';

/**
 * @throws ConfigError for another scheme or an unreadable path
 * @example await tdxCollateralSource('https://api.trustedservices.intel.com/')
 */
export async function tdxCollateralSource(url: string, options: { update?: TcbUpdateType; pcs?: Omit<PcsOptions, 'baseUrl' | 'update'> } = {}): Promise<TdxCollateralSource> {
  const update = options.update ?? 'early';
  if (url.startsWith('file://')) {
    const path = fileURLToPath(url);
    const st = await stat(path).catch((cause: unknown) => {
      throw new ConfigError(`TDX collateral ${path} cannot be read`, { cause, key: 'collateral_service' });
    });
    return st.isDirectory() ? tdxCollateralFromDir(path, update) : offlineTdxCollateral(await loadTdxCollateralFile(path, update));
  }
  if (url.startsWith('https://')) return pcsTdxCollateral({ ...options.pcs, baseUrl: url, update });
  throw new ConfigError(`collateral_service must be a file:// or https:// URL, got ${JSON.stringify(url)}`, { key: 'collateral_service' });
}
