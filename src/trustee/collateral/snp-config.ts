/**
 * SNP VCEK sources from the attestation-service configuration, upstream shape
 * (`verifier_config.snp_verifier`, trustee `attestation-service/docs/config.md`):
 * `{"vcek_sources": [{"type": "OfflineStore", "path": "..."}, {"type": "KDS", "base_url": "..."}]}`,
 * tried in order; default `[{"type": "KDS"}]`.
 * @module
 */
import { ConfigError, Unavailable, expectArray, expectObject, optionalString } from '../../core/index.js';
import type { SnpVekQuery, SnpVekSource } from '../../verifier/index.js';
import { snpKdsVekSource, type SnpKdsOptions } from './snp-kds.js';
import { snpOfflineVekSource } from './snp-offline.js';

/** Upstream's default offline store (the directory that contains `vcek/`). */
export const SNP_OFFLINE_STORE_PATH = '/opt/confidential-containers/attestation-service/kds-store';

/**
 * Try sources in order; the first that has the VEK wins. A source that fails (KDS unreachable,
 * unreadable store) is skipped as upstream does; if none has it and one failed, the failure is
 * reported as `Unavailable` rather than as a missing certificate.
 */
export function firstSnpVekSource(...sources: SnpVekSource[]): SnpVekSource {
  return {
    async getVek(q: SnpVekQuery) {
      const errors: unknown[] = [];
      for (const s of sources) {
        try {
          const der = await s.getVek(q);
          if (der) return der;
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length > 0) throw new Unavailable(`no VCEK source answered: ${errors.map((e) => (e as Error).message).join('; ')}`, { cause: errors[0] });
      return undefined;
    },
  };
}

/** Build the source list of an `snp_verifier` config object; throws `ConfigError` on unknown types. */
export function snpVekSourceFromConfig(config: unknown, kds: Omit<SnpKdsOptions, 'baseUrl'> = {}): SnpVekSource {
  const c = config === undefined || config === null ? {} : expectObject(config, 'snp_verifier');
  const list = c.vcek_sources === undefined ? [{ type: 'KDS' }] : expectArray(c.vcek_sources, 'snp_verifier.vcek_sources');
  const sources = list.map((entry, i) => {
    const key = `snp_verifier.vcek_sources[${i}]`;
    const e = expectObject(entry, key);
    if (e.type === 'OfflineStore') return snpOfflineVekSource(optionalString(e.path, `${key}.path`) ?? SNP_OFFLINE_STORE_PATH);
    if (e.type === 'KDS') {
      const baseUrl = optionalString(e.base_url, `${key}.base_url`);
      return snpKdsVekSource(baseUrl === undefined ? kds : { ...kds, baseUrl });
    }
    throw new ConfigError(`${key}.type must be "OfflineStore" or "KDS"`, { key: `${key}.type` });
  });
  return firstSnpVekSource(...sources);
}
