/**
 * Trustee: configuration, storage, admin authorisation and metrics (the KBS, AS and RVPS are added
 * beside these). Imported by `cli/` and tests.
 * @module
 */
export { loadConfig, parseConfigText, parseTrusteeArgs, defaultAdminConfig, TRUSTEE_FLAGS_HELP, DEFAULT_PROTOCOL_VERSION } from './config.js';
export type { TrusteeConfig, ConfigOverrides, LoadConfigOptions, HttpServerConfig, PluginConfig, RetentionConfig } from './config.js';
export { openStore, MemoryStore, startRetention, sweepOnce } from './storage/index.js';
export type { KvStore, Namespace, SetOptions, StorageConfig, RetentionRule, RetentionHandle } from './storage/index.js';
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
