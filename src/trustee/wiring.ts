/**
 * The one mapping from the typed `TrusteeConfig` (`config.ts`) to `TrusteeOptions`, plus the small
 * adapters from the admin authorizer and the Prometheus registry to the KBS seams.
 * @module
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/index.js';
import type { AdminAuthorizer } from './admin/index.js';
import type { VerifierEnv } from '../verifier/index.js';
import { pcsTdxCollateral, snpVekSourceFromConfig, tdxCollateralSource } from './collateral/index.js';
import type { TrusteeConfig } from './config.js';
import type { AdminHooks } from './kbs/admin-hooks.js';
import type { MetricsHooks } from './kbs/metrics-hooks.js';
import type { KbsMetrics } from './metrics.js';
import type { TrusteeOptions } from './server.js';

/** The KBS admin seam over the configured authorizer. */
export function adminHooksOf(authorizer: AdminAuthorizer): AdminHooks {
  return {
    async authorize(method, pathWithQuery, headers) {
      const id = (await authorizer.authorize(method, pathWithQuery, headers)) as unknown as Record<string, unknown>;
      return { name: String(id.name ?? id.subject ?? id.role ?? 'admin') };
    },
  };
}

/** The KBS metrics seam over the Prometheus registry. */
export function metricsHooksOf(m: KbsMetrics): MetricsHooks {
  return {
    request(route, _method, _status, seconds, requestBytes, responseBytes) {
      m.recordHttp({ path: `/kbs/v0/${route}`, durationSec: seconds, requestBytes, responseBytes });
    },
    auth(ok) {
      m.authRequests.inc();
      if (ok) m.authSuccesses.inc();
      else m.authErrors.inc();
    },
    attestation: (tee, ok, seconds) => m.recordAttestation(tee, ok, seconds),
    policy: (result) => m.recordPolicy(result === 'allow' ? 'approved' : result === 'deny' ? 'violation' : 'error'),
    resource(op, path) {
      (op === 'read' ? m.resourceReads : op === 'write' ? m.resourceWrites : m.resourceDeletes).inc({ resource_path: path });
    },
    render: () => m.expose(),
  };
}

function readText(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read ${path}: ${(cause as Error).message}`, { key, cause });
  }
}

/** JWK sets named by `trusted_jwk_sets` (local files; remote sets are refused until supported). */
function readJwkSets(paths: readonly string[]): Array<Record<string, unknown>> {
  return paths.flatMap((p) => {
    if (/^https?:/.test(p)) throw new ConfigError(`remote JWK sets are not supported yet: ${p}`, { key: 'attestation_token.trusted_jwk_sets' });
    let set: { keys?: unknown };
    try {
      set = JSON.parse(readText(p.replace(/^file:\/\//, ''), 'attestation_token.trusted_jwk_sets')) as { keys?: unknown };
    } catch (cause) {
      if (cause instanceof ConfigError) throw cause;
      throw new ConfigError(`JWK set ${p} is not JSON`, { key: 'attestation_token.trusted_jwk_sets', cause });
    }
    if (!Array.isArray(set.keys)) throw new ConfigError(`JWK set ${p} has no keys array`, { key: 'attestation_token.trusted_jwk_sets' });
    return set.keys as Array<Record<string, unknown>>;
  });
}

/** Everything `createTrustee` needs from the config, except the objects built from it (stores, engine, admin, metrics). */
export function optionsFromConfig(config: TrusteeConfig): Omit<TrusteeOptions, 'store' | 'policyEngine'> {
  const broker = config.attestationService.tokenBroker;
  const token: NonNullable<TrusteeOptions['token']> = { lifetimeMinutes: broker.durationMin, issuer: broker.issuerName, verbose: broker.verboseToken };
  if (broker.developerName) token.developer = broker.developerName;
  if (broker.buildName) token.build = broker.buildName;
  if (broker.signer) {
    token.signerKeyPem = readText(broker.signer.keyPath, 'attestation_token_broker.signer.key_path');
    if (broker.signer.certPath) token.signerCertChainPem = readText(broker.signer.certPath, 'attestation_token_broker.signer.cert_path');
  }
  const t = config.attestationToken;
  return {
    versionRange: config.protocolVersion.source,
    sessionLifetimeMinutes: config.attestationService.sessionTimeoutMin,
    verboseErrors: config.verboseErrors,
    bodyLimitBytes: config.http.payloadRequestSizeBytes,
    auditMaxEntries: config.retention.auditMaxEntries,
    token,
    tokenTrust: {
      trustedCertsPem: t.trustedCertsPaths.map((p) => readText(p, 'attestation_token.trusted_certs_paths')),
      jwks: readJwkSets(t.trustedJwkSets),
      insecureHeaderJwk: t.insecureHeaderJwk,
      extraTeeKeyPaths: t.extraTeekeyPaths,
    },
  };
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * Collateral sources for the verifiers from `[attestation_service.verifier_config]`:
 * `snp_verifier.vcek_sources` (default AMD KDS) and `dcap_verifier.collateral_service`
 * (Intel PCS/PCCS `https://` URL or `file://` collateral; default Intel PCS).
 */
export async function verifierEnvFromConfig(verifierConfig: Record<string, unknown>): Promise<VerifierEnv> {
  const dcap = obj(verifierConfig.dcap_verifier);
  const update = dcap.tcb_update_type === 'standard' ? 'standard' : 'early';
  const service = typeof dcap.collateral_service === 'string' ? dcap.collateral_service : undefined;
  return {
    snpVek: snpVekSourceFromConfig(verifierConfig.snp_verifier),
    tdxCollateral: service ? await tdxCollateralSource(service, { update }) : pcsTdxCollateral({ update }),
  };
}
