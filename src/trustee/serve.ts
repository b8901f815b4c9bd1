/**
 * Runs Trustee from a `TrusteeConfig`: opens the configured stores, builds the admin authoriser,
 * metrics and retention, maps the rest of the config onto `TrusteeOptions`, and listens. This is
 * what `coco trustee serve` (and `npm start`) call; `createTrustee` stays the in-process root.
 * @module
 */
import { setHeapGrowingPercent } from './heap.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/index.js';
import { IntelTrustAuthority } from './ita/client.js';
import { pkcs11Plugin } from './kbs/pkcs11-plugin.js';
import { provisionerPlugin } from './kbs/provisioner-plugin.js';
import { openPkcs11Token } from './kbs/pkcs11-token.js';
import { createAdminAuthorizer, ensureAdminKeyPair, mintAdminToken, readPem, ADMIN_PUBLIC_KEY_FILE } from './admin/index.js';
import type { TrusteeConfig } from './config.js';
import type { GrpcTlsPaths } from './config/types.js';
import { type GrpcClientTls } from './grpc/client.js';
import { externalPlugin } from './grpc/external-plugin.js';
import { samplePlugin, type KbsPlugin } from './kbs/plugins.js';
import { verifierEnvFromConfig } from './config/verifier-env.js';
import { tlsOptionsFor } from './config/tls.js';
import { JwkSetRefresher, loadTrustedJwkSets, readLocalJwkSets, type JwkSetFetchOptions, type TrustedJwk } from './config/jwk-sets.js';
import type { Listening } from './http/adapter.js';
import type { MetricsHooks } from './kbs/metrics-hooks.js';
import { createKbsMetrics, type BuildInfo, type KbsMetrics } from './metrics.js';
import type { PolicyEngine } from './as/policy-engine.js';
import { createTrustee, listen, type Trustee, type TrusteeOptions } from './server.js';
import { openStore, startRetention, type KvStore, type RetentionHandle, type StorageConfig } from './storage/index.js';

export interface RunningTrustee {
  trustee: Trustee;
  listening: Listening;
  metrics: KbsMetrics;
  /** A freshly minted admin token when the data dir's admin key is in use (embedded default). */
  adminToken?: string;
  /** Run the retention pass now (it also runs every `kbs.sweep_interval_sec`). */
  sweepNow(): Promise<void>;
  /**
   * Reload `attestation_token.trusted_jwk_sets` and (`intel_ta`) `attestation_service.certs_file` now
   * (it also happens every `kbs.jwk_sets_refresh_sec` and on an unknown kid); true when the keys
   * changed. Absent when neither is configured.
   */
  refreshJwkSets?(): Promise<boolean>;
  close(): Promise<void>;
}

export function readText(path: string, key: string): string {
  try {
    return readFileSync(path.replace(/^file:\/\//, ''), 'utf8');
  } catch (cause) {
    throw new ConfigError(`${key}: cannot read ${path}: ${(cause as Error).message}`, { key, cause });
  }
}

/**
 * The `TrusteeOptions` a config asks for (everything but stores, engine, admin and metrics).
 * `loaded.jwks` are the keys of `attestation_token.trusted_jwk_sets` already loaded with
 * `loadTrustedJwkSets` (runTrustee does, fetching `https://` sets); without it the local sets are read
 * here and an `https://` entry is a `ConfigError`.
 */
export function trusteeOptionsFromConfig(
  config: TrusteeConfig,
  loaded: { jwks?: TrustedJwk[]; itaJwks?: TrustedJwk[]; itaExtraCaPem?: string; version?: string; withPlugins?: boolean } = {},
): Omit<TrusteeOptions, 'store' | 'sessionStore' | 'policyEngine' | 'admin' | 'metrics'> {
  const broker = config.attestationService.tokenBroker;
  const token: NonNullable<TrusteeOptions['token']> = { lifetimeMinutes: broker.durationMin, issuer: broker.issuerName, verbose: broker.verboseToken };
  if (broker.developerName) token.developer = broker.developerName;
  if (broker.buildName) token.build = broker.buildName;
  const signerKey = 'attestation_service.attestation_token_broker.signer';
  if (broker.signer) token.signerKeyPem = readText(broker.signer.keyPath, `${signerKey}.key_path`);
  if (broker.signer?.certPath) token.signerCertChainPem = readText(broker.signer.certPath, `${signerKey}.cert_path`);
  const t = config.attestationToken;
  const jwks = loaded.jwks ?? readLocalJwkSets(t.trustedJwkSets);
  const remote = config.attestationService.remote;
  const rvps = config.attestationService.rvps;
  // Plugins may open connections and devices (an HSM session): callers that start more first build them last.
  const plugins = loaded.withPlugins === false ? {} : pluginsFromConfig(config.plugins);
  const ita = config.attestationService.intelTa;
  return {
    ...(ita
      ? {
          intelTa: {
            baseUrl: ita.baseUrl,
            apiKey: ita.apiKey,
            jwks: loaded.itaJwks ?? readLocalJwkSets([ita.certsFile], ITA_CERTS_KEY),
            policyIds: ita.policyIds,
            allowUnmatchedPolicy: ita.allowUnmatchedPolicy,
            ...(loaded.itaExtraCaPem !== undefined ? { extraCaPem: loaded.itaExtraCaPem } : {}),
            ...(loaded.version !== undefined ? { version: loaded.version } : {}),
          },
        }
      : {}),
    ...(Object.keys(plugins).length > 0 ? { plugins } : {}),
    ...(remote ? { remoteAs: { address: remote.address, ...grpcTls(remote.tls, 'attestation_service.as_') } } : {}),
    ...(!remote && rvps.type === 'GrpcRemote' ? { remoteRvps: { address: rvps.address, ...grpcTls(rvps.tls, 'attestation_service.rvps_config.') } } : {}),
    versionRange: config.protocolVersion.source,
    sessionLifetimeMinutes: config.attestationService.sessionTimeoutMin,
    verboseErrors: config.verboseErrors,
    bodyLimitBytes: config.http.payloadRequestSizeBytes,
    auditMaxEntries: config.retention.auditMaxEntries,
    sessionMaxEntries: config.retention.sessionMaxEntries,
    auditSuccesses: config.auditSuccesses,
    token,
    tokenTrust: {
      trustedCertsPem: t.trustedCertsPaths.map((p) => readText(p, 'attestation_token.trusted_certs_paths')),
      jwks,
      insecureHeaderJwk: t.insecureHeaderJwk,
      extraTeeKeyPaths: t.extraTeekeyPaths,
    },
  };
}

const ITA_CERTS_KEY = 'attestation_service.certs_file';

/** The `[[plugins]]` besides `resource` (always served), built from the config; `store` for those that keep state (provisioner). */
export function pluginsFromConfig(configs: TrusteeConfig['plugins'], store?: KvStore): Record<string, KbsPlugin> {
  const out: Record<string, KbsPlugin> = {};
  for (const c of configs) {
    if (c.name === 'sample') out.sample = samplePlugin(c.item);
    else if (c.name === 'provisioner') {
      if (!store) throw new ConfigError('plugins: the provisioner plugin keeps its keys in the KBS store, which is not open here (runTrustee builds it)', { key: 'plugins' });
      out.provisioner = provisionerPlugin(store, { keyLength: c.keyLength });
    } else if (c.name === 'pkcs11') {
      out.pkcs11 = pkcs11Plugin(openPkcs11Token({ module: c.module, slotIndex: c.slotIndex, pin: c.pin, rsaMechanism: c.rsaMechanism, lookupLabel: c.lookupLabel, configKey: c.configKey }));
    }
    else if (c.name === 'external') {
      out.external = externalPlugin(
        c.backends.map((b) => ({
          name: b.name,
          endpoint: b.endpoint,
          ...(b.caCertPath !== undefined ? { caCertPem: readText(b.caCertPath, 'plugins.backends.ca_cert_path') } : {}),
          ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}),
        })),
      );
    }
  }
  return out;
}

/** The PEM texts of a gRPC client's TLS files (`prefix` + `ca_cert` / `client_cert` / `client_key` name them in errors). */
function grpcTls(paths: GrpcTlsPaths | undefined, prefix: string): { tls?: GrpcClientTls } {
  if (!paths) return {};
  const tls: GrpcClientTls = {};
  if (paths.caCert !== undefined) tls.ca = readText(paths.caCert, `${prefix}ca_cert`);
  if (paths.clientCert !== undefined) tls.cert = readText(paths.clientCert, `${prefix}client_cert`);
  if (paths.clientKey !== undefined) tls.key = readText(paths.clientKey, `${prefix}client_key`);
  return { tls };
}

function sameStorage(a: TrusteeConfig['storage'], b: TrusteeConfig['storage']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** True when the admin config trusts the data dir's own key (the embedded default). */
function usesDataDirKey(config: TrusteeConfig): boolean {
  return (
    config.admin.mode === 'AuthenticatedAuthorization' &&
    config.admin.identityProviders.some((p) => p.publicKeyUri === join(config.dataDir, ADMIN_PUBLIC_KEY_FILE))
  );
}

/**
 * With the embedded admin default: create the data dir's admin key pair if missing and mint a fresh
 * 12-hour admin token; otherwise undefined. Runs once per server (in the primary of a cluster).
 */
export async function prepareAdminToken(config: TrusteeConfig): Promise<string | undefined> {
  if (!usesDataDirKey(config)) return undefined;
  const keys = ensureAdminKeyPair(config.dataDir);
  return mintAdminToken(readPem(keys.privateKeyPath), { role: 'admin', ttlSec: 12 * 3600, issuer: 'coco-trustee-local' });
}

/** What a cluster worker takes from its primary instead of making it itself (see `serve-cluster.ts`). */
export interface WorkerShare {
  /** Replaces `config.sessionStorage` (a memory session store cannot be shared). */
  sessionStorage?: StorageConfig;
  /** The token signer key every worker uses. */
  signerKeyPem: string;
  /** Wraps this worker's metrics so that `/metrics` answers for the whole server. */
  metrics(local: KbsMetrics): MetricsHooks;
}

export interface RunTrusteeDeps {
  policyEngine: PolicyEngine;
  build: BuildInfo;
  /**
   * How `https://` entries of `trusted_jwk_sets` are fetched (an extra CA, limits), and the smallest gap
   * between reloads caused by unknown kids (`minGapMs`, default 30 s); tests use it.
   */
  jwkSets?: JwkSetFetchOptions & { minGapMs?: number };
  /** Where operational warnings go (a failed JWK set reload); default stderr. */
  log?: (line: string) => void;
  /** Set in a cluster worker: the admin token is then the primary's business, not this process's. */
  worker?: WorkerShare;
}

/**
 * Load the trust material (remote JWK sets are fetched here, then kept current), open stores, build the app and
 * listen on the first configured socket.
 */
export async function runTrustee(config: TrusteeConfig, deps: RunTrusteeDeps): Promise<RunningTrustee> {
  // A serving process favours short collection pauses over a small heap (heap.ts).
  setHeapGrowingPercent(config.heapGrowingPercent);
  const tls = config.http.insecureHttp ? undefined : tlsOptionsFor(config.http);
  const jwks = await loadTrustedJwkSets(config.attestationToken.trustedJwkSets, deps.jwkSets);
  const ita = config.attestationService.intelTa;
  const itaJwks = ita ? await loadTrustedJwkSets([ita.certsFile], { ...deps.jwkSets, configKey: ITA_CERTS_KEY }) : undefined;
  const options = trusteeOptionsFromConfig(config, {
    jwks,
    ...(itaJwks ? { itaJwks } : {}),
    ...(deps.jwkSets?.extraCaPem !== undefined ? { itaExtraCaPem: deps.jwkSets.extraCaPem } : {}),
    version: deps.build.version,
    withPlugins: false,
  });
  const worker = deps.worker;
  if (worker) options.token = { ...options.token, signerKeyPem: worker.signerKeyPem };
  const verifierEnv = await verifierEnvFromConfig(config.attestationService.verifier);
  const adminToken = worker ? undefined : await prepareAdminToken(config);
  const admin = createAdminAuthorizer(config.admin);
  const metrics = createKbsMetrics(deps.build);
  const sessionStorage = worker?.sessionStorage ?? config.sessionStorage;
  const store = await openStore(config.storage);
  const stores: KvStore[] = [store];
  let sessionStore = store;
  if (!sameStorage(config.storage, sessionStorage)) {
    sessionStore = await openStore(sessionStorage).catch(async (e: unknown) => {
      await store.close();
      throw e;
    });
    stores.push(sessionStore);
  }
  const sessions = { ns: 'kbs_protocol_session' as const, maxEntries: config.retention.sessionMaxEntries };
  const audit = { ns: 'audit' as const, maxEntries: config.retention.auditMaxEntries };
  const retention: RetentionHandle[] = [];
  const interval = config.retention.sweepIntervalSec * 1000;
  if (sessionStore === store) retention.push(startRetention(store, [sessions, audit], { intervalMs: interval }));
  else retention.push(startRetention(store, [audit], { intervalMs: interval }), startRetention(sessionStore, [sessions], { intervalMs: interval }));

  const hooks = worker ? worker.metrics(metrics) : metrics;
  // From here on a failure closes what was opened: plugins (an HSM session), stores, the app.
  let trustee: Trustee | undefined;
  let plugins: Record<string, KbsPlugin> = {};
  let refreshers: JwkSetRefresher[] = [];
  let listening: Listening;
  try {
    plugins = pluginsFromConfig(config.plugins, store);
    trustee = await createTrustee({ ...options, ...(Object.keys(plugins).length > 0 ? { plugins } : {}), store, sessionStore, policyEngine: deps.policyEngine, admin, metrics: hooks, verifierEnv });
    refreshers = watchJwkSets(config, deps, { sets: jwks, ita: itaJwks ?? [] }, trustee);
    const socket = config.http.sockets[0]!;
    listening = await listen(trustee, { host: socket.host, port: socket.port, bodyLimitBytes: config.http.payloadRequestSizeBytes, ...(tls ? { tls } : {}) });
  } catch (err) {
    for (const r of refreshers) r.stop();
    await Promise.all(retention.map((r) => r.stop()));
    if (trustee) await trustee.close();
    else {
      for (const p of Object.values(plugins)) p.close?.();
      for (const st of stores) await st.close();
    }
    throw err;
  }
  // Load the crypto worker now, not in the first busy period (its modules take ~0.3 s to load).
  trustee.context.crypto.prestart();
  listening.server.on('connection', (s) => {
    metrics.httpActiveConnections.inc();
    s.once('close', () => metrics.httpActiveConnections.dec());
  });
  const out: RunningTrustee = {
    trustee,
    listening,
    metrics,
    async sweepNow() {
      await Promise.all(retention.map((r) => r.sweepNow()));
    },
    async close() {
      for (const r of refreshers) r.stop();
      await listening.close();
      await Promise.all(retention.map((r) => r.stop()));
      await trustee.close();
    },
  };
  if (adminToken) out.adminToken = adminToken;
  if (refreshers.length > 0) out.refreshJwkSets = async () => (await Promise.all(refreshers.map((r) => r.refresh()))).some(Boolean);
  return out;
}

/**
 * Keep the `kid` keys current: reload `attestation_token.trusted_jwk_sets` and, with `intel_ta`,
 * `attestation_service.certs_file` every `kbs.jwk_sets_refresh_sec` and when a token names an unknown
 * kid (see `JwkSetRefresher`). The KBS trusts the keys of both; ITA's own check only those of certs_file.
 */
function watchJwkSets(config: TrusteeConfig, deps: RunTrusteeDeps, initial: { sets: TrustedJwk[]; ita: TrustedJwk[] }, trustee: Trustee): JwkSetRefresher[] {
  const t = config.attestationToken;
  const log = deps.log ?? ((line: string) => console.error(`coco trustee: ${line}`));
  const tokens = trustee.context.tokens;
  const options = { ...deps.jwkSets, intervalMs: t.refreshSec * 1000 };
  let { sets, ita: itaKeys } = initial;
  const apply = () => tokens.replaceJwks([...sets, ...itaKeys]);
  const refreshers: JwkSetRefresher[] = [];
  if (t.trustedJwkSets.length > 0) {
    const keep = 'trusted JWK sets not reloaded, the last loaded keys stay trusted';
    refreshers.push(new JwkSetRefresher(t.trustedJwkSets, sets, options, (keys) => ((sets = keys), apply()), (err) => log(`${keep}: ${err.message}`)));
  }
  const ita = config.attestationService.intelTa;
  const itaService = trustee.context.as;
  if (ita && itaService instanceof IntelTrustAuthority) {
    const keep = `${ITA_CERTS_KEY} not reloaded, the last loaded keys stay trusted`;
    const onChange = (keys: TrustedJwk[]) => {
      itaKeys = keys;
      itaService.tokens.replaceJwks(keys);
      apply();
    };
    const r = new JwkSetRefresher([ita.certsFile], itaKeys, { ...options, configKey: ITA_CERTS_KEY }, onChange, (err) => log(`${keep}: ${err.message}`));
    itaService.tokens.setUnknownKidHook(() => r.refreshIfDue());
    refreshers.push(r);
  }
  if (refreshers.length > 0) tokens.setUnknownKidHook(async () => (await Promise.all(refreshers.map((r) => r.refreshIfDue()))).some(Boolean));
  for (const r of refreshers) r.start();
  return refreshers;
}
