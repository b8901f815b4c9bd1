/**
 * Trustee: KBS HTTP API, sessions, Attestation Service (EAR tokens), RVPS, resource repository,
 * configuration, storage, admin authorisation, metrics and the collateral sources verifiers consult.
 * @module
 */
export { createTrustee, listen } from './server.js';
export type { Trustee, TrusteeOptions } from './server.js';
export { loadPolicyEngine, regoPolicyEngine } from './rego-engine.js';
export { readText, runTrustee, trusteeOptionsFromConfig } from './serve.js';
export { DEFAULT_HEAP_GROWING_PERCENT, setHeapGrowingPercent } from './heap.js';
export { runAsServer, isLoopbackHost, DEFAULT_AS_PORT } from './serve-as.js';
export type { RunningAsServer, AsServerAddress } from './serve-as.js';
export { GrpcClient } from './grpc/client.js';
export { GrpcError } from './grpc/errors.js';
export { serveGrpc } from './grpc/server.js';
export { RemoteAttestationService } from './grpc/remote-as.js';
export { asServiceMethods } from './grpc/as-service.js';
export type { RunningTrustee, RunTrusteeDeps } from './serve.js';
export { runTrusteeCluster, runTrusteeWorker, workerCountOf, checkShareable } from './serve-cluster.js';
export type { RunningTrusteeCluster, ClusterServeOptions } from './serve-cluster.js';
export { JwkSetRefresher, loadTrustedJwkSets, parseJwkSet } from './config/jwk-sets.js';
export type { JwkSetFetchOptions, JwkSetRefreshOptions, TrustedJwk } from './config/jwk-sets.js';
export type { PolicyEngine, CompiledPolicy, HostBuiltins } from './as/policy-engine.js';
export { AttestationService } from './as/attestation-service.js';
export type { EvidenceItem, AttestationOutcome } from './as/attestation-service.js';
export { createEarSigner, signerJwks } from './as/ear-token.js';
export { TokenVerifier, endorseHeaderJwk } from './as/token-verifier.js';
export { insecureAllowAllAdmin, denyAllAdmin } from './kbs/admin-hooks.js';
export type { AdminHooks, AdminIdentity as KbsAdminIdentity } from './kbs/admin-hooks.js';
export { bearerKeyAdmin } from './kbs/bearer-key-admin.js';
export { noMetrics } from './kbs/metrics-hooks.js';
export type { MetricsHooks } from './kbs/metrics-hooks.js';
export type { AuditRecord } from './kbs/audit.js';
export { DEFAULT_SESSION_MAX_ENTRIES } from './kbs/session.js';
export { formatExplanation } from './as/explain.js';
export type { ClaimExplanation, FailedCheck } from './as/explain.js';
export type { TokenSummary } from './kbs/audit-explain.js';
export type { Listening } from './http/adapter.js';
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
export { createKbsMetrics, mergeSnapshots, renderSnapshot } from './metrics.js';
export type { KbsMetrics, BuildInfo, RegistrySnapshot } from './metrics.js';
export { forkTrusteeWorkers, receiveClusterSetup } from './cluster.js';
export type { ClusterOptions, ClusterSetup, TrusteeCluster } from './cluster.js';
export { snpVekSourceFromConfig, SNP_OFFLINE_STORE_PATH, snpOfflineVekSource, snpKdsVekSource, firstSnpVekSource, loadCollateralDir, kdsVcekUrl, snpHwId, snpTcbPrefix, httpsGet, AMD_KDS_URL } from './collateral/index.js';
export type { SnpKdsOptions, HttpGet, HttpResponse } from './collateral/index.js';
export { tdxCollateralFromDir, pcsTdxCollateral, tdxCollateralSource, INTEL_PCS_URL } from './collateral/index.js';
export type { OfflineCollateral, PcsOptions } from './collateral/index.js';
