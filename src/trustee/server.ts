/**
 * Trustee's composition root (STYLE habit 5): options → storage → RVPS → AS → KBS → HTTP.
 * `createTrustee` builds the in-process app (`handle(req)`), `listen` serves it over HTTP (http/adapter.ts).
 * `trusteeOptionsFromConfig` / `runTrustee` (in `serve.ts`) map the typed config to these options.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { ConfigError, disableNativeP256, parseRange, satisfiesRange } from '../core/index.js';
import { TEES, type Tee } from '../protocol/index.js';
import { supportedTees, type Verifier, type VerifierEnv } from '../verifier/index.js';
import { REFERENCE_VALUE_BUILTIN } from './as/appraisal.js';
import { AttestationService } from './as/attestation-service.js';
import { DEFAULT_AS_POLICIES, DEFAULT_RESOURCE_POLICY } from './as/default-policies/index.js';
import { createEarSigner, parsePemCertificates, type EarSigner } from './as/ear-token.js';
import { IssuedTokens } from './as/issued-tokens.js';
import type { PolicyEngine } from './as/policy-engine.js';
import { PolicyStore } from './as/policy.js';
import { TokenVerifier } from './as/token-verifier.js';
import { listenHttp, type Listening } from './http/adapter.js';
import type { HttpHandler } from './http/types.js';
import { denyAllAdmin, type AdminHooks } from './kbs/admin-hooks.js';
import { AuditLog } from './kbs/audit.js';
import { createCryptoThread, inlineCryptoThread, type CryptoThreadOptions } from './crypto-thread.js';
import { RESOURCE_POLICY_ID, type KbsContext } from './kbs/context.js';
import { noMetrics, type MetricsHooks } from './kbs/metrics-hooks.js';
import type { KbsPlugin } from './kbs/plugins.js';
import { createKbsApp } from './kbs/routes.js';
import { SessionStore, sessionTableFor } from './kbs/session.js';
import { ResourceRepository } from './resource/repository.js';
import { ReferenceValues } from './rvps/reference-values.js';
import { RemoteAttestationService, type RemoteAsOptions } from './grpc/remote-as.js';
import { RemoteRvps } from './grpc/remote-rvps.js';
import { IntelTrustAuthority, type IntelTaOptions } from './ita/client.js';
import { itaDefaultResourcePolicy } from './ita/default-policy.js';
import { ITA_TEES } from './ita/request.js';
import { GrpcClient } from './grpc/client.js';
import type { KvStore } from './storage/kv.js';

export interface TrusteeOptions {
  /** Storage for policies, resources, reference values and audit records. */
  store: KvStore;
  /** Session storage (upstream `session_storage_type`); defaults to `store`. */
  sessionStore?: KvStore;
  policyEngine: PolicyEngine;
  /** Admin authorization; default denies every admin request. */
  admin?: AdminHooks;
  metrics?: MetricsHooks;
  /** Semver requirement (Rust `VersionReq` syntax, as upstream) for the `/auth` version; default `=0.4.0`. */
  versionRange?: string;
  /** Session lifetime (upstream `attestation_service.timeout`), default 5 minutes. */
  sessionLifetimeMinutes?: number;
  /** Show attestation failure causes to clients (default false: terse, as upstream). */
  verboseErrors?: boolean;
  /** Request body limit (upstream `payload_request_size`, default 2 MiB). */
  bodyLimitBytes?: number;
  token?: {
    lifetimeMinutes?: number;
    issuer?: string;
    developer?: string;
    build?: string;
    /** Keep `additional-evidence` in `runtime_data_claims` (default true). */
    verbose?: boolean;
    /** P-256 signer key PEM; absent = ephemeral key per process. */
    signerKeyPem?: string;
    /** Signer certificate chain PEM (leaf first) → header `jwk.x5c`. */
    signerCertChainPem?: string;
  };
  /** `[attestation_token]`: how tokens presented for resources are verified. Our own signer is always trusted. */
  tokenTrust?: {
    trustedCertsPem?: string[];
    jwks?: Array<Record<string, unknown>>;
    insecureHeaderJwk?: boolean;
    extraTeeKeyPaths?: string[];
  };
  verifierEnv?: VerifierEnv;
  /** Replace the verifier registry (tests, extra TEEs); then `tees` lists what it supports. */
  verifierFor?: (tee: Tee) => Verifier;
  tees?: Tee[];
  /**
   * `coco_as_grpc`: the attestation service (with its policies and RVPS) is another process at
   * `address` (see `grpc/remote-as.ts`); its tokens are trusted through `tokenTrust`.
   */
  remoteAs?: RemoteAsOptions;
  /**
   * `intel_ta`: Intel Trust Authority appraises the evidence and issues the tokens (`ita/client.ts`);
   * the KBS verifies them with `tokenTrust`, like any token presented for a resource.
   */
  intelTa?: IntelTaOptions;
  /**
   * `rvps_config.type = "GrpcRemote"`: the built-in AS takes its reference values from a separate
   * RVPS at `address` (`grpc/remote-rvps.ts`); the admin API's reference-value calls go there too.
   */
  remoteRvps?: RemoteAsOptions;
  /** Plugins served besides `resource` (`[[plugins]]`), by name; closed with Trustee. */
  plugins?: Record<string, KbsPlugin>;
  /** AS policy ids the KBS requests (default `["default"]`). */
  policyIds?: string[];
  auditMaxEntries?: number;
  /** Sessions kept at most when they live in this process's memory (a `MemoryStore` session store); default 100,000. */
  sessionMaxEntries?: number;
  /** Audit successful attestations and releases too (default false: failures, and successes with notes). */
  auditSuccesses?: boolean;
  /** The clock (tests move it). */
  now?: () => Date;
  /**
   * Encrypt releases and sign tokens on another thread while the event loop is busy (default true;
   * see `crypto-thread.ts`); options for that thread (tests: `{ busyAbove: 0 }` offloads always).
   * False keeps all of it on the calling thread.
   */
  cryptoThread?: boolean | CryptoThreadOptions;
}

export interface Trustee {
  /** The whole HTTP app, callable in process. */
  handle: HttpHandler;
  context: KbsContext;
  signer: EarSigner;
  close(): Promise<void>;
}

/** Build Trustee: seeds the default policies (without overwrite) and returns the app. */
export async function createTrustee(options: TrusteeOptions): Promise<Trustee> {
  // COCO_NATIVE_P256=0: node:crypto for P-256 release encryption (comparisons; the crypto worker reads it too).
  if (process.env.COCO_NATIVE_P256 === '0') disableNativeP256();
  const now = options.now ?? (() => new Date());
  const store = options.store;
  const sessionStore = options.sessionStore ?? store;
  const versionRange = options.versionRange ?? '=0.4.0';
  let range;
  try {
    range = parseRange(versionRange, 'protocol version');
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { key: 'coco.protocol_version', cause });
  }
  const crypto = options.cryptoThread === false ? inlineCryptoThread() : createCryptoThread(options.cryptoThread === true ? {} : options.cryptoThread);
  const issued = new IssuedTokens(undefined, undefined, (release) => crypto.discard(release));
  const signer = createEarSigner({ keyPem: options.token?.signerKeyPem, certChainPem: options.token?.signerCertChainPem, issued, thread: crypto });
  // With a remote AS the RVPS is that service's (remoteRvps is then not used).
  const r = options.remoteRvps;
  const external = Boolean(options.remoteAs || options.intelTa);
  const remoteRvpsClient = r && !external ? new GrpcClient(r.address, { ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}), ...(r.tls ? { tls: r.tls } : {}) }) : undefined;
  const rvps = remoteRvpsClient ? new RemoteRvps(remoteRvpsClient) : new ReferenceValues(store);
  const asPolicies = new PolicyStore(store, 'attestation_service_policy', options.policyEngine, { [REFERENCE_VALUE_BUILTIN]: 1 });
  const resourcePolicy = new PolicyStore(store, 'kbs', options.policyEngine);
  // A remote attestation service keeps its own policies: nothing to seed here then.
  if (!external) for (const [id, text] of Object.entries(DEFAULT_AS_POLICIES)) await asPolicies.seed(id, text);
  // With ITA, whose signing keys all its tenants share, the default fails closed (ita/default-policy.ts).
  await resourcePolicy.seed(RESOURCE_POLICY_ID, options.intelTa ? itaDefaultResourcePolicy(options.intelTa.policyIds ?? []) : DEFAULT_RESOURCE_POLICY);
  const asOptions: ConstructorParameters<typeof AttestationService>[0] = {
    policies: asPolicies,
    rvps,
    signer,
    tokenLifetimeSeconds: (options.token?.lifetimeMinutes ?? 5) * 60,
    verboseToken: options.token?.verbose ?? true,
  };
  if (options.token?.issuer) asOptions.issuer = options.token.issuer;
  if (options.token?.developer) asOptions.developer = options.token.developer;
  if (options.token?.build) asOptions.build = options.token.build;
  if (options.verifierEnv) asOptions.verifierEnv = options.verifierEnv;
  if (options.verifierFor) asOptions.verifierFor = options.verifierFor;
  let trustedCerts: X509Certificate[];
  try {
    trustedCerts = (options.tokenTrust?.trustedCertsPem ?? []).flatMap(parsePemCertificates);
  } catch (cause) {
    throw new ConfigError('a trusted certificate does not parse', { key: 'attestation_token.trusted_certs_paths', cause });
  }
  const tokens = new TokenVerifier({
    trustedCerts,
    // The keys of the attestation service in use are trusted as our own signer's are: ITA's certs_file.
    jwks: [...(options.tokenTrust?.jwks ?? []), ...(options.intelTa?.jwks ?? [])],
    trustedKeys: [signer.publicKey],
    issued,
    insecureHeaderJwk: options.tokenTrust?.insecureHeaderJwk ?? false,
  });
  const remote = options.remoteAs ? new RemoteAttestationService(options.remoteAs, tokens) : options.intelTa ? new IntelTrustAuthority(options.intelTa) : undefined;
  const context: KbsContext = {
    sessions: new SessionStore(sessionTableFor(sessionStore, options.sessionMaxEntries), (options.sessionLifetimeMinutes ?? 5) * 60_000),
    as: remote ?? new AttestationService(asOptions),
    tokens,
    resources: new ResourceRepository(store),
    crypto,
    ...(remote ? {} : { issued }),
    resourcePolicy,
    asPolicies: remote?.policies ?? asPolicies,
    rvps: remote?.rvps ?? rvps,
    audit: new AuditLog(store, options.auditMaxEntries),
    plugins: new Map(Object.entries(options.plugins ?? {})),
    admin: options.admin ?? denyAllAdmin,
    metrics: options.metrics ?? noMetrics,
    settings: {
      versionRange,
      versionOk: (v) => satisfiesRange(v, range),
      verboseErrors: options.verboseErrors ?? false,
      policyIds: options.policyIds ?? ['default'],
      // A remote service decides which TEEs it verifies; /auth then accepts every TEE we know of.
      supportedTees: new Set(options.tees ?? (options.intelTa ? ITA_TEES : remote ? TEES : supportedTees())),
      extraTeeKeyPaths: options.tokenTrust?.extraTeeKeyPaths ?? [],
    },
    now,
  };
  for (const p of context.plugins.values()) p.attachMetrics?.(context.metrics);
  const handle = createKbsApp(context, { bodyLimit: options.bodyLimitBytes ?? 2 * 1024 * 1024, auditSuccesses: options.auditSuccesses ?? false });
  return {
    handle,
    context,
    signer,
    async close() {
      remote?.close();
      remoteRvpsClient?.close();
      for (const p of Object.values(options.plugins ?? {})) p.close?.();
      await crypto.close();
      if (sessionStore !== store) await sessionStore.close();
      await store.close();
    },
  };
}

/** Serve a Trustee over HTTP, or HTTPS when `address.tls` is given (see `config/tls.ts`). */
/**
 * Requests that continue a handshake already under way (attest, resource GETs): when requests queue
 * up, these go before new ones (auth, admin), so a handshake that has started finishes instead of
 * queueing behind the backlog once per request.
 */
export function continuesHandshake(method: string, url: string): boolean {
  return method === 'POST' ? url === '/kbs/v0/attest' : method === 'GET' && url.startsWith('/kbs/v0/resource/');
}

export function listen(trustee: Trustee, address: { host?: string; port?: number; bodyLimitBytes?: number; tls?: SecureContextOptions }): Promise<Listening> {
  return listenHttp(trustee.handle, {
    host: address.host ?? '127.0.0.1',
    port: address.port ?? 8080,
    bodyLimit: address.bodyLimitBytes ?? 2 * 1024 * 1024,
    urgent: continuesHandshake,
    ...(address.tls ? { tls: address.tls } : {}),
  });
}
