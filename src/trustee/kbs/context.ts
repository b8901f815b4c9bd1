/**
 * Everything a KBS request handler may use, built once by the composition root (`server.ts`).
 * @module
 */
import type { Tee } from '../../protocol/index.js';
import type { AttestationService } from '../as/attestation-service.js';
import type { CryptoThread } from '../crypto-thread.js';
import type { IssuedTokens } from '../as/issued-tokens.js';
import type { PolicyStore } from '../as/policy.js';
import type { TokenVerifier } from '../as/token-verifier.js';
import type { ResourceRepository } from '../resource/repository.js';
import type { ReferenceValueRecord, ReferenceValues } from '../rvps/reference-values.js';
import type { AdminHooks } from './admin-hooks.js';
import type { AuditLog } from './audit.js';
import type { MetricsHooks } from './metrics-hooks.js';
import type { KbsPlugin } from './plugins.js';
import type { SessionStore } from './session.js';

export interface KbsSettings {
  /** Semver range the `/auth` version must satisfy (default `=0.4.0`). */
  versionRange: string;
  versionOk: (version: string) => boolean;
  /** Show attestation failure causes to clients. */
  verboseErrors: boolean;
  /** AS policy ids requested for every attestation (upstream KBS: `["default"]`). */
  policyIds: string[];
  /** TEEs the AS can verify (checked at `/auth`). */
  supportedTees: ReadonlySet<string>;
  /** Extra JSON pointers tried first for the TEE public key in token claims. */
  extraTeeKeyPaths: string[];
}

export interface KbsContext {
  sessions: SessionStore;
  /**
   * The built-in service, the remote one (`coco_as_grpc`, `grpc/remote-as.ts`) or Intel Trust
   * Authority (`intel_ta`, `ita/client.ts`), which also chooses the challenge's `extra-params`.
   */
  as: Pick<AttestationService, 'evaluate'> & { challengeParams?(tee: Tee, params: unknown): unknown };
  tokens: TokenVerifier;
  resources: ResourceRepository;
  /** Encrypts released resources to the TEE key (and signs tokens, through the AS's signer). */
  crypto: CryptoThread;
  /** The tokens this process signed, with the releases prepared alongside them (none with a remote AS). */
  issued?: IssuedTokens;
  resourcePolicy: PolicyStore;
  asPolicies: Pick<PolicyStore, 'set' | 'text' | 'list'>;
  /** The built-in RVPS, or a remote one (`grpc/remote-rvps.ts`), whose records carry only their value. */
  rvps: Pick<ReferenceValues, 'register' | 'list' | 'live'> & { get(name: string): Promise<Pick<ReferenceValueRecord, 'value'> | undefined> };
  audit: AuditLog;
  /** Plugins other than `resource`, by name (`[[plugins]]`: `sample`, `external`). */
  plugins: ReadonlyMap<string, KbsPlugin>;
  admin: AdminHooks;
  metrics: MetricsHooks;
  settings: KbsSettings;
  now: () => Date;
}

/** Policy id of the KBS resource policy in namespace `kbs`. */
export const RESOURCE_POLICY_ID = 'resource-policy';
