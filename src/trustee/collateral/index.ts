/**
 * Collateral for verifiers: where VCEKs (and, later, TDX DCAP collateral) come from when the
 * evidence does not carry them. Each source implements an interface of `verifier/verifier.ts`.
 * @module
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnpVekQuery, SnpVekSource, VerifierEnv } from '../../verifier/index.js';
import { snpOfflineVekSource } from './snp-offline.js';

export { snpOfflineVekSource, snpHwId, snpTcbPrefix } from './snp-offline.js';
export { snpKdsVekSource, kdsVcekUrl, httpsGet, AMD_KDS_URL } from './snp-kds.js';
export type { SnpKdsOptions, HttpGet, HttpResponse } from './snp-kds.js';

/** Try sources in order; the first that has the VEK wins (upstream `vcek_sources`). */
export function firstSnpVekSource(...sources: SnpVekSource[]): SnpVekSource {
  return {
    async getVek(q: SnpVekQuery) {
      for (const s of sources) {
        const der = await s.getVek(q);
        if (der) return der;
      }
      return undefined;
    },
  };
}

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
  return env;
}
