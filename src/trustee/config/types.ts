/**
 * The typed Trustee configuration produced by `loadConfig` from `kbs-config.toml`, CLI flags and env.
 * @module
 */
import type { SemverRange } from '../../core/index.js';
import type { AdminConfig } from '../admin/index.js';
import type { StorageConfig } from '../storage/index.js';

export type TlsProfile = 'old' | 'intermediate' | 'modern' | 'custom';

export interface HttpServerConfig {
  sockets: { host: string; port: number }[];
  insecureHttp: boolean;
  privateKey?: string;
  certificate?: string;
  /** Request body limit in bytes (`payload_request_size` MiB). */
  payloadRequestSizeBytes: number;
  /** Worker processes (`worker_count`, `--workers`, `COCO_WORKERS`); absent = 1. Upstream defaults to the number of cores. */
  workerCount?: number;
  tls: { profile: TlsProfile; minVersion?: '1.2' | '1.3'; maxVersion?: '1.2' | '1.3'; ciphers?: string; groups?: string };
}

export interface AttestationTokenConfig {
  trustedCertsPaths: string[];
  trustedJwkSets: string[];
  /** Reload `trusted_jwk_sets` every this many seconds; 0 = at startup only (`kbs.jwk_sets_refresh_sec`). */
  refreshSec: number;
  insecureHeaderJwk: boolean;
  extraTeekeyPaths: string[];
}

export interface TokenBrokerConfig {
  durationMin: number;
  issuerName: string;
  developerName?: string;
  buildName?: string;
  profileName?: string;
  verboseToken: boolean;
  signer?: { keyPath: string; certPath?: string; certUrl?: string };
}

/** Ours: PEM files for an `https://` gRPC server — a CA to trust instead of the system's, and a client certificate and key (mutual TLS). */
export interface GrpcTlsPaths {
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface AttestationServiceConfig {
  /**
   * Built in, or (`coco_as_grpc`) another process reached over gRPC at `remote.address`, or
   * (`intel_ta`) Intel Trust Authority at `intelTa.baseUrl`.
   */
  type: 'coco_as_builtin' | 'coco_as_grpc' | 'intel_ta';
  /** `intel_ta`: `base_url` (https), `api_key`, `certs_file` (a JWK set: path, `file://` or `https://`), `policy_ids`, `allow_unmatched_policy`. */
  intelTa?: { baseUrl: string; apiKey: string; certsFile: string; policyIds: string[]; allowUnmatchedPolicy: boolean };
  /** `coco_as_grpc`: `as_addr` (default `http://127.0.0.1:50004`) and `pool_size` (accepted; one multiplexed HTTP/2 connection is used). */
  remote?: { address: string; poolSize: number; tls?: GrpcTlsPaths };
  /** KBS session lifetime, minutes (`attestation_service.timeout`). */
  sessionTimeoutMin: number;
  tokenBroker: TokenBrokerConfig;
  /** The built-in RVPS, or (`GrpcRemote`) a separate one at `address` (`http://` added when missing, as upstream). */
  rvps: { type: 'BuiltIn'; storage?: StorageConfig; extractors?: Record<string, unknown> } | { type: 'GrpcRemote'; address: string; tls?: GrpcTlsPaths };
  /** `verifier_config` as given (per-verifier keys are read by the verifiers). */
  verifier: Record<string, unknown>;
  /** AS-only storage override (`attestation_service.storage_type`). */
  storage?: StorageConfig;
}

export type PluginConfig =
  | { name: 'resource'; storageBackendType: 'kvstorage' }
  | { name: 'sample'; item: string }
  | { name: 'external'; backends: Array<{ name: string; endpoint: string; caCertPath?: string; timeoutMs?: number }> }
  /** Upstream's provisioner plugin: `key_length` characters per VM key (default 32, at least 16). */
  | { name: 'provisioner'; keyLength: number }
  /** `module` (PKCS#11 library), `slot_index`, `pin`, `rsa_mechanism`, `lookup_label`; `configKey` names the table in errors. */
  | { name: 'pkcs11'; module: string; slotIndex: number; pin: string; rsaMechanism: 'RsaPkcsOaep' | 'RsaPkcsTest'; lookupLabel: string; configKey: string };

export interface RetentionConfig {
  /** Audit records kept (oldest swept first). */
  auditMaxEntries: number;
  /** Sessions kept at most (expired ones always swept). */
  sessionMaxEntries: number;
  /** How often expired sessions are swept, seconds. */
  sweepIntervalSec: number;
}

export interface TrusteeConfig {
  /** The config file read, if any. */
  source?: string;
  /** Where the embedded store and the admin key pair live. */
  dataDir: string;
  http: HttpServerConfig;
  admin: AdminConfig;
  attestationToken: AttestationTokenConfig;
  attestationService: AttestationServiceConfig;
  storage: StorageConfig;
  sessionStorage: StorageConfig;
  plugins: PluginConfig[];
  /** Accepted KBS protocol versions (`kbs.version_range`, default `=0.4.0`). */
  protocolVersion: SemverRange;
  /** Put error causes in wire `detail` (off: upstream-like terse details). */
  verboseErrors: boolean;
  /** Audit successful attestations and releases too (`kbs.audit_successes`, default false). */
  auditSuccesses: boolean;
  retention: RetentionConfig;
  /** V8's heap growing factor as a percentage over 1 for a serving process (`kbs.heap_growing_percent`; 0 = V8's own). */
  heapGrowingPercent: number;
}
