/**
 * Trustee: KBS, Attestation Service, RVPS, configuration, storage, admin authorisation, metrics and
 * the collateral sources verifiers consult. Imported by `cli/` and tests.
 * @module
 */
export { loadConfig, parseConfigText, parseTrusteeArgs, defaultAdminConfig, TRUSTEE_FLAGS_HELP, DEFAULT_PROTOCOL_VERSION } from './config.js';
export type { TrusteeConfig, ConfigOverrides, LoadConfigOptions, HttpServerConfig, PluginConfig, RetentionConfig } from './config.js';
export { openStore, MemoryStore } from './storage/index.js';
export type { KvStore, Namespace, SetOptions, StorageConfig } from './storage/index.js';
export {
  createAdminAuthorizer,
  bearerToken,
  ensureAdminKeyPair,
  generateAdminKeyPair,
  mintAdminToken,
  readPem,
  ADMIN_PRIVATE_KEY_FILE,
  ADMIN_PUBLIC_KEY_FILE,
} from './admin/index.js';
export type { AdminAuthorizer, AdminConfig, AdminIdentity } from './admin/index.js';
export { createKbsMetrics } from './metrics.js';
export type { KbsMetrics, BuildInfo } from './metrics.js';
export { snpOfflineVekSource, snpKdsVekSource, firstSnpVekSource, loadCollateralDir, kdsVcekUrl, snpHwId, snpTcbPrefix, httpsGet, AMD_KDS_URL } from './collateral/index.js';
export type { SnpKdsOptions, HttpGet, HttpResponse } from './collateral/index.js';
