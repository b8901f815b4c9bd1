/**
 * The one mapping from a parsed `kbs-config.toml` (reference/trustee.md §2.3) to `TrusteeOptions`
 * and listen settings. Only the keys the in-process Trustee uses are read; `trustee/config.ts` will
 * replace the loose reading below with its typed `TrusteeConfig` when merged.
 * @module
 */
import { ConfigError } from '../core/index.js';
import type { TrusteeOptions } from './server.js';

export interface ServeSettings {
  options: Omit<TrusteeOptions, 'store' | 'policyEngine'>;
  host: string;
  port: number;
  bodyLimitBytes: number;
}

type Doc = Record<string, unknown>;
const table = (v: unknown, key: string): Doc => {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${key} must be a table`, { key });
  return v as Doc;
};
const num = (v: unknown, key: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`${key} must be a positive number`, { key });
  return v;
};
const bool = (v: unknown, key: string, dflt: boolean): boolean => {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${key} must be true or false`, { key });
  return v;
};
const strings = (v: unknown, key: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(`${key} must be a list of strings`, { key });
  return v as string[];
};

/** Map a parsed config document; `readText` loads files the config names (keys, certificates). */
export function serveSettingsFromConfig(doc: Doc, readText: (path: string) => string): ServeSettings {
  const http = table(doc.http_server, 'http_server');
  const socket = strings(http.sockets, 'http_server.sockets')[0] ?? '127.0.0.1:8080';
  const m = /^(.*):(\d+)$/.exec(socket);
  if (!m) throw new ConfigError(`http_server.sockets: ${socket} is not host:port`, { key: 'http_server.sockets' });
  const as = table(doc.attestation_service, 'attestation_service');
  const broker = table(as.attestation_token_broker, 'attestation_service.attestation_token_broker');
  const signer = table(broker.signer, 'attestation_service.attestation_token_broker.signer');
  const tokenCfg = table(doc.attestation_token, 'attestation_token');
  const kbs = table(doc.kbs, 'kbs');
  const token: NonNullable<TrusteeOptions['token']> = {
    lifetimeMinutes: num(broker.duration_min, 'attestation_token_broker.duration_min', 5),
    verbose: bool(broker.verbose_token, 'attestation_token_broker.verbose_token', true),
  };
  if (typeof broker.issuer_name === 'string') token.issuer = broker.issuer_name;
  if (typeof signer.key_path === 'string') token.signerKeyPem = readText(signer.key_path);
  if (typeof signer.cert_path === 'string') token.signerCertChainPem = readText(signer.cert_path);
  const options: ServeSettings['options'] = {
    sessionLifetimeMinutes: num(as.timeout, 'attestation_service.timeout', 5),
    token,
    tokenTrust: {
      trustedCertsPem: strings(tokenCfg.trusted_certs_paths, 'attestation_token.trusted_certs_paths').map(readText),
      insecureHeaderJwk: bool(tokenCfg.insecure_header_jwk ?? tokenCfg.insecure_key, 'attestation_token.insecure_header_jwk', false),
      extraTeeKeyPaths: strings(tokenCfg.extra_teekey_paths, 'attestation_token.extra_teekey_paths'),
      jwks: strings(tokenCfg.trusted_jwk_sets, 'attestation_token.trusted_jwk_sets').flatMap((p) => {
        if (/^https?:/.test(p)) throw new ConfigError(`remote JWK sets are not supported yet: ${p}`, { key: 'attestation_token.trusted_jwk_sets' });
        let set: { keys?: unknown };
        try {
          set = JSON.parse(readText(p.replace(/^file:\/\//, ''))) as { keys?: unknown };
        } catch (cause) {
          throw new ConfigError(`JWK set ${p} is not JSON`, { key: 'attestation_token.trusted_jwk_sets', cause });
        }
        if (!Array.isArray(set.keys)) throw new ConfigError(`JWK set ${p} has no keys array`, { key: 'attestation_token.trusted_jwk_sets' });
        return set.keys as Array<Record<string, unknown>>;
      }),
    },
    verboseErrors: bool(kbs.verbose_errors, 'kbs.verbose_errors', false),
  };
  if (typeof kbs.version_range === 'string') options.versionRange = kbs.version_range;
  const bodyLimitBytes = num(http.payload_request_size, 'http_server.payload_request_size', 2) * 1024 * 1024;
  options.bodyLimitBytes = bodyLimitBytes;
  return { options, host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), bodyLimitBytes };
}
