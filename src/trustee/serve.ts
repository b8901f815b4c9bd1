/**
 * Runs Trustee from a `TrusteeConfig`: opens the configured stores, builds the admin authoriser,
 * metrics and retention, maps the rest of the config onto `TrusteeOptions`, and listens. This is
 * what `coco trustee serve` (and `npm start`) call; `createTrustee` stays the in-process root.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/index.js';
import { createAdminAuthorizer, ensureAdminKeyPair, mintAdminToken, readPem, ADMIN_PUBLIC_KEY_FILE } from './admin/index.js';
import type { TrusteeConfig } from './config.js';
import { verifierEnvFromConfig } from './config/verifier-env.js';
import { tlsOptionsFor } from './config/tls.js';
import type { Listening } from './http/adapter.js';
import { createKbsMetrics, type BuildInfo, type KbsMetrics } from './metrics.js';
import type { PolicyEngine } from './as/policy-engine.js';
import { createTrustee, listen, type Trustee, type TrusteeOptions } from './server.js';
import { openStore, startRetention, type KvStore, type RetentionHandle } from './storage/index.js';

export interface RunningTrustee {
  trustee: Trustee;
  listening: Listening;
  metrics: KbsMetrics;
  /** A freshly minted admin token when the data dir's admin key is in use (embedded default). */
  adminToken?: string;
  /** Run the retention pass now (it also runs every `kbs.sweep_interval_sec`). */
  sweepNow(): Promise<void>;
  close(): Promise<void>;
}

function readText(path: string, key: string): string {
  try {
    return readFileSync(path.replace(/^file:\/\//, ''), 'utf8');
  } catch (cause) {
    throw new ConfigError(`${key}: cannot read ${path}: ${(cause as Error).message}`, { key, cause });
  }
}

/** The `TrusteeOptions` a config asks for (everything but stores, engine, admin and metrics). */
export function trusteeOptionsFromConfig(config: TrusteeConfig): Omit<TrusteeOptions, 'store' | 'sessionStore' | 'policyEngine' | 'admin' | 'metrics'> {
  const broker = config.attestationService.tokenBroker;
  const token: NonNullable<TrusteeOptions['token']> = { lifetimeMinutes: broker.durationMin, issuer: broker.issuerName, verbose: broker.verboseToken };
  if (broker.developerName) token.developer = broker.developerName;
  if (broker.buildName) token.build = broker.buildName;
  const signerKey = 'attestation_service.attestation_token_broker.signer';
  if (broker.signer) token.signerKeyPem = readText(broker.signer.keyPath, `${signerKey}.key_path`);
  if (broker.signer?.certPath) token.signerCertChainPem = readText(broker.signer.certPath, `${signerKey}.cert_path`);
  const t = config.attestationToken;
  const jwks = t.trustedJwkSets.flatMap((p) => {
    const key = 'attestation_token.trusted_jwk_sets';
    if (/^https?:/.test(p)) throw new ConfigError(`${key}: remote JWK sets are not supported; download ${p} to a file`, { key });
    let set: { keys?: unknown };
    try {
      set = JSON.parse(readText(p, key)) as { keys?: unknown };
    } catch (cause) {
      if (cause instanceof ConfigError) throw cause;
      throw new ConfigError(`${key}: ${p} is not JSON`, { key, cause });
    }
    if (!Array.isArray(set.keys)) throw new ConfigError(`${key}: ${p} has no "keys" array`, { key });
    return set.keys as Array<Record<string, unknown>>;
  });
  return {
    versionRange: config.protocolVersion.source,
    sessionLifetimeMinutes: config.attestationService.sessionTimeoutMin,
    verboseErrors: config.verboseErrors,
    bodyLimitBytes: config.http.payloadRequestSizeBytes,
    auditMaxEntries: config.retention.auditMaxEntries,
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

/** Open stores, build the app and listen on the first configured socket. */
export async function runTrustee(config: TrusteeConfig, deps: { policyEngine: PolicyEngine; build: BuildInfo }): Promise<RunningTrustee> {
  const tls = config.http.insecureHttp ? undefined : tlsOptionsFor(config.http);
  const options = trusteeOptionsFromConfig(config);
  const verifierEnv = await verifierEnvFromConfig(config.attestationService.verifier);
  let adminToken: string | undefined;
  if (usesDataDirKey(config)) {
    const keys = ensureAdminKeyPair(config.dataDir);
    adminToken = await mintAdminToken(readPem(keys.privateKeyPath), { role: 'admin', ttlSec: 12 * 3600, issuer: 'coco-trustee-local' });
  }
  const admin = createAdminAuthorizer(config.admin);
  const metrics = createKbsMetrics(deps.build);
  const store = await openStore(config.storage);
  const stores: KvStore[] = [store];
  let sessionStore = store;
  if (!sameStorage(config.storage, config.sessionStorage)) {
    sessionStore = await openStore(config.sessionStorage).catch(async (e: unknown) => {
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

  const trustee = await createTrustee({ ...options, store, sessionStore, policyEngine: deps.policyEngine, admin, metrics, verifierEnv });
  const socket = config.http.sockets[0]!;
  const listening = await listen(trustee, { host: socket.host, port: socket.port, bodyLimitBytes: config.http.payloadRequestSizeBytes, ...(tls ? { tls } : {}) });
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
      await listening.close();
      await Promise.all(retention.map((r) => r.stop()));
      await trustee.close();
    },
  };
  if (adminToken) out.adminToken = adminToken;
  return out;
}
