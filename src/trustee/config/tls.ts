/**
 * TLS server options from `[http_server]`: the key pair and upstream's TLS profiles
 * (`old`, `intermediate`, `modern`, `custom`, after Mozilla's server-side TLS guidelines), mapped onto
 * Node's `minVersion`/`maxVersion`/`ciphers`/`ecdhCurve`. The options are tried once with
 * `createSecureContext` so that a bad key, cipher list or group fails at startup as `ConfigError`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { ConfigError } from '../../core/index.js';
import type { HttpServerConfig } from './types.js';

const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
const TLS12_AEAD =
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:' +
  'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305';
// `old` keeps TLS 1.2 CBC suites for legacy clients (TLS 1.0/1.1 are refused by OpenSSL 3 defaults anyway).
const TLS12_LEGACY = `${TLS12_AEAD}:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384`;
const GROUPS = 'X25519:prime256v1:secp384r1';

const PROFILES: Record<Exclude<HttpServerConfig['tls']['profile'], 'custom'>, Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'ecdhCurve'>> = {
  modern: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: TLS13_SUITES, ecdhCurve: GROUPS },
  intermediate: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: `${TLS13_SUITES}:${TLS12_AEAD}`, ecdhCurve: GROUPS },
  old: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: `${TLS13_SUITES}:${TLS12_LEGACY}`, ecdhCurve: GROUPS },
};

const version = (v: '1.2' | '1.3'): SecureVersion => (v === '1.2' ? 'TLSv1.2' : 'TLSv1.3');

function read(path: string | undefined, key: string): Buffer {
  if (!path) throw new ConfigError(`http_server.${key} is required unless insecure_http = true`, { key: `http_server.${key}` });
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ConfigError(`http_server.${key}: cannot read ${path}: ${(cause as Error).message}`, { key: `http_server.${key}`, cause });
  }
}

/** Node TLS server options for `http`; throws `ConfigError` naming the key at fault. */
export function tlsOptionsFor(http: HttpServerConfig): SecureContextOptions {
  const t = http.tls;
  const profile =
    t.profile === 'custom'
      ? {
          minVersion: version(t.minVersion ?? '1.2'),
          maxVersion: version(t.maxVersion ?? '1.3'),
          ciphers: t.ciphers ?? `${TLS13_SUITES}:${TLS12_AEAD}`,
          ecdhCurve: t.groups ?? GROUPS,
        }
      : PROFILES[t.profile];
  const options: SecureContextOptions = { key: read(http.privateKey, 'private_key'), cert: read(http.certificate, 'certificate'), ...profile, honorCipherOrder: true };
  try {
    createSecureContext(options);
  } catch (cause) {
    const msg = (cause as Error).message;
    const key = /curve|group/i.test(msg)
      ? 'tls_groups'
      : t.ciphers !== undefined && /cipher|invalid argument/i.test(msg)
        ? 'tls_ciphers'
        : /key|cert|PEM|asn1|decoder/i.test(msg)
          ? 'private_key'
          : 'tls_profile';
    throw new ConfigError(`http_server.${key}: TLS settings rejected by OpenSSL ${process.versions.openssl}: ${msg}`, { key: `http_server.${key}`, cause });
  }
  return options;
}
