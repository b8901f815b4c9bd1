/**
 * `[http_server]`, `[attestation_token]`, `[attestation_service]` and `[[plugins]]`. Unsupported but
 * well-formed choices (non-KV resource backends, other plugins) are parsed fully and reported through `unsupported`, so unknown keys are still caught.
 * @module
 */
import { ConfigError } from '../../core/index.js';
import { itaBaseUrl } from '../ita/request.js';
import type { StorageConfig } from '../storage/index.js';
import type { Section } from './reader.js';
import { STORAGE_TYPES, type StorageBackends } from './storage-section.js';
import type { AttestationServiceConfig, AttestationTokenConfig, GrpcTlsPaths, HttpServerConfig, PluginConfig, TlsProfile } from './types.js';

const MIB = 1024 * 1024;
/** Upstream KBS's default `as_addr`. */
export const DEFAULT_AS_ADDR = 'http://127.0.0.1:50004';
/** Upstream AS's default address of a separate RVPS. */
export const DEFAULT_RVPS_ADDR = '127.0.0.1:50003';
/** A gRPC server's origin: scheme, host and port, nothing after. */
const GRPC_ADDRESS = /^https?:\/\/[^/\s]+\/?$/;

/** Why a supported parse still cannot run here; the loader throws it after checking every key. */
export type Unsupported = ConfigError[];

function parseSocket(text: string, key: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${key}: expected "host:port", got ${JSON.stringify(text)}`, { key });
  return { host: (m[1] ?? m[2])!, port };
}

export function readHttpServer(sec: Section, defaults: { insecureHttp: boolean }): HttpServerConfig {
  const sockets = sec.stringArray('sockets', ['127.0.0.1:8080']).map((s) => parseSocket(s, sec.key('sockets')));
  if (sockets.length === 0) throw new ConfigError(`${sec.key('sockets')} must list at least one address`, { key: sec.key('sockets') });
  const versions = { '1.2': '1.2', '1.3': '1.3' } as const;
  const tls: HttpServerConfig['tls'] = {
    profile: sec.oneOf<TlsProfile>('tls_profile', { old: 'old', intermediate: 'intermediate', modern: 'modern', custom: 'custom' }, 'intermediate'),
  };
  if (sec.has('tls_min_version')) tls.minVersion = sec.oneOf('tls_min_version', versions);
  if (sec.has('tls_max_version')) tls.maxVersion = sec.oneOf('tls_max_version', versions);
  const ciphers = sec.optString('tls_ciphers');
  const groups = sec.optString('tls_groups');
  if (ciphers !== undefined) tls.ciphers = ciphers;
  if (groups !== undefined) tls.groups = groups;
  if (tls.minVersion && tls.maxVersion && tls.minVersion > tls.maxVersion) {
    throw new ConfigError(`${sec.key('tls_min_version')} is above tls_max_version`, { key: sec.key('tls_min_version') });
  }
  const out: HttpServerConfig = {
    sockets,
    insecureHttp: sec.bool('insecure_http', defaults.insecureHttp),
    payloadRequestSizeBytes: sec.int('payload_request_size', 2, 1, 1024) * MIB,
    tls,
  };
  const privateKey = sec.optString('private_key');
  const certificate = sec.optString('certificate');
  const workerCount = sec.optInt('worker_count', 1, 1024);
  if (privateKey !== undefined) out.privateKey = privateKey;
  if (certificate !== undefined) out.certificate = certificate;
  if (workerCount !== undefined) out.workerCount = workerCount;
  sec.done();
  return out;
}

export function readAttestationToken(sec: Section): Omit<AttestationTokenConfig, 'refreshSec'> {
  // `insecure_key` is the pre-v0.21 name of `insecure_header_jwk`.
  if (sec.has('insecure_key') && sec.has('insecure_header_jwk')) {
    throw new ConfigError('attestation_token: set insecure_header_jwk only (insecure_key is its old name)', { key: sec.key('insecure_key') });
  }
  const insecure = sec.optBool('insecure_header_jwk') ?? sec.optBool('insecure_key') ?? false;
  const out = {
    trustedCertsPaths: sec.stringArray('trusted_certs_paths'),
    trustedJwkSets: sec.stringArray('trusted_jwk_sets'),
    insecureHeaderJwk: insecure,
    extraTeekeyPaths: sec.stringArray('extra_teekey_paths'),
  };
  sec.done();
  return out;
}

const AS_TYPES = {
  coco_as_builtin: 'coco_as_builtin',
  CoCoASBuiltIn: 'coco_as_builtin',
  coco_as_grpc: 'coco_as_grpc',
  CoCoASGrpc: 'coco_as_grpc',
  intel_ta: 'intel_ta',
  IntelTA: 'intel_ta',
} as const;

export function readAttestationService(sec: Section, storage: StorageBackends, unsupported: Unsupported): AttestationServiceConfig {
  const type = sec.oneOf('type', AS_TYPES, 'coco_as_builtin');
  const sessionTimeoutMin = sec.int('timeout', 5, 1, 24 * 60);
  const broker = sec.section('attestation_token_broker');
  const signer = broker.optSection('signer');
  const tokenBroker: AttestationServiceConfig['tokenBroker'] = {
    durationMin: broker.int('duration_min', 5, 1, 24 * 60),
    issuerName: broker.string('issuer_name', 'CoCo-Attestation-Service'),
    verboseToken: broker.bool('verbose_token', true),
  };
  for (const [k, f] of [['developer_name', 'developerName'], ['build_name', 'buildName'], ['profile_name', 'profileName']] as const) {
    const v = broker.optString(k);
    if (v !== undefined) tokenBroker[f] = v;
  }
  if (signer) {
    const keyPath = signer.optString('key_path');
    if (!keyPath) throw new ConfigError(`${signer.key('key_path')} is required`, { key: signer.key('key_path') });
    tokenBroker.signer = { keyPath };
    const certPath = signer.optString('cert_path');
    const certUrl = signer.optString('cert_url');
    if (certPath !== undefined) tokenBroker.signer.certPath = certPath;
    if (certUrl !== undefined) tokenBroker.signer.certUrl = certUrl;
    signer.done();
  }
  broker.done();

  const rvpsSec = sec.section('rvps_config');
  const rvpsType = rvpsSec.oneOf('type', { BuiltIn: 'BuiltIn', GrpcRemote: 'GrpcRemote' } as const, 'BuiltIn');
  const rvpsAddress = rvpsSec.optString('address');
  const rvpsStorageType = rvpsSec.has('storage_type') ? rvpsSec.oneOf('storage_type', STORAGE_TYPES) : undefined;
  const extractors = rvpsSec.optTable('extractors');
  let rvps: AttestationServiceConfig['rvps'];
  if (rvpsType === 'GrpcRemote' && type === 'coco_as_grpc') {
    throw new ConfigError(`${rvpsSec.key('type')} = "GrpcRemote" does not apply with type = "coco_as_grpc": the remote attestation service has its own RVPS`, { key: rvpsSec.key('type') });
  }
  if (rvpsType === 'GrpcRemote') {
    for (const k of ['storage_type', 'extractors'] as const) {
      if (rvpsSec.has(k)) throw new ConfigError(`${rvpsSec.key(k)} applies to the built-in RVPS only (type = "BuiltIn")`, { key: rvpsSec.key(k) });
    }
    // As upstream: an address without a scheme is plain HTTP/2.
    const given = rvpsAddress ?? DEFAULT_RVPS_ADDR;
    const address = /^https?:\/\//.test(given) ? given : `http://${given}`;
    if (!GRPC_ADDRESS.test(address)) throw new ConfigError(`${rvpsSec.key('address')}: expected host:port, http://host:port or https://host:port, got ${JSON.stringify(given)}`, { key: rvpsSec.key('address') });
    rvps = { type: 'GrpcRemote', address };
    const tls = checkGrpcTls(readTlsKeys(rvpsSec, ''), (k) => rvpsSec.key(k), address);
    if (tls) rvps.tls = tls;
  } else {
    rvps = { type: 'BuiltIn' };
    if (rvpsStorageType) rvps.storage = storage.resolve(rvpsStorageType, rvpsSec.key('storage_type'));
    if (extractors) rvps.extractors = extractors;
  }
  rvpsSec.done();

  const verifier = sec.optTable('verifier_config') ?? {};
  let asStorage: StorageConfig | undefined;
  if (sec.has('storage_type')) asStorage = storage.resolve(sec.oneOf('storage_type', STORAGE_TYPES), sec.key('storage_type'));
  const asAddr = sec.optString('as_addr');
  const asTlsKeys = readTlsKeys(sec, 'as_');
  const strayTls = Object.keys(asTlsKeys)[0];
  if (strayTls !== undefined && type !== 'coco_as_grpc') throw new ConfigError(`${sec.key(`as_${strayTls}`)} applies to type = "coco_as_grpc" only`, { key: sec.key(`as_${strayTls}`) });
  const poolSize = sec.optInt('pool_size', 1, 100_000);
  const intelTa = readIntelTa(sec, type === 'intel_ta', unsupported);
  sec.done();
  const out: AttestationServiceConfig = { type, sessionTimeoutMin, tokenBroker, rvps, verifier };
  if (intelTa) out.intelTa = intelTa;
  if (type === 'coco_as_grpc') {
    const address = asAddr ?? DEFAULT_AS_ADDR;
    if (!GRPC_ADDRESS.test(address)) throw new ConfigError(`${sec.key('as_addr')}: expected http://host:port or https://host:port, got ${JSON.stringify(address)}`, { key: sec.key('as_addr') });
    out.remote = { address, poolSize: poolSize ?? 100 };
    const tls = checkGrpcTls(asTlsKeys, (k) => sec.key(`as_${k}`), address);
    if (tls) out.remote.tls = tls;
  }
  if (asStorage) out.storage = asStorage;
  return out;
}

/**
 * The Intel Trust Authority keys: with `type = "intel_ta"` (`chosen`) the three upstream requires, and
 * `base_url` an https URL; with another type they are read only so that a typo is still an unknown key.
 */
function readIntelTa(sec: Section, chosen: boolean, unsupported: Unsupported): AttestationServiceConfig['intelTa'] {
  const context = 'with type = "intel_ta"';
  const str = (k: string, secret = false) => (chosen ? sec.requiredString(k, context, { secret }) : sec.optString(k, { secret }));
  const baseUrl = str('base_url');
  const apiKey = str('api_key', true);
  const certsFile = str('certs_file');
  const allowUnmatchedPolicy = sec.optBool('allow_unmatched_policy') ?? false;
  const policyIds = sec.stringArray('policy_ids');
  if (!chosen || baseUrl === undefined || apiKey === undefined || certsFile === undefined) return undefined;
  try {
    itaBaseUrl(baseUrl);
  } catch (err) {
    throw new ConfigError(`${sec.key('base_url')}: ${(err as Error).message}`, { key: sec.key('base_url') });
  }
  const stray = ['rvps_config', 'attestation_token_broker', 'verifier_config'].find((x) => sec.has(x));
  if (stray) {
    unsupported.push(new ConfigError(`${sec.key(stray)} does not apply with type = "intel_ta": Intel Trust Authority verifies, appraises and signs`, { key: sec.key(stray) }));
  }
  return { baseUrl, apiKey, certsFile, policyIds, allowUnmatchedPolicy };
}

const TLS_KEYS = ['ca_cert', 'client_cert', 'client_key'] as const;
type TlsKeys = Partial<Record<(typeof TLS_KEYS)[number], string>>;

/** Ours: the PEM files for an https:// gRPC server, keys `<prefix>ca_cert`, `<prefix>client_cert`, `<prefix>client_key`. */
function readTlsKeys(sec: Section, prefix: string): TlsKeys {
  const out: TlsKeys = {};
  for (const k of TLS_KEYS) {
    const v = sec.optString(`${prefix}${k}`);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** TLS files only for an https:// address, and a client certificate only with its key. */
function checkGrpcTls(given: TlsKeys, keyOf: (k: string) => string, address: string): GrpcTlsPaths | undefined {
  const names = Object.keys(given);
  if (names.length === 0) return undefined;
  if (!address.startsWith('https://')) throw new ConfigError(`${keyOf(names[0]!)} needs an https:// address (got ${address})`, { key: keyOf(names[0]!) });
  if ((given.client_cert === undefined) !== (given.client_key === undefined)) {
    const [missing, present] = given.client_cert === undefined ? ['client_cert', 'client_key'] : ['client_key', 'client_cert'];
    throw new ConfigError(`${keyOf(missing)} is required with ${keyOf(present)}`, { key: keyOf(missing) });
  }
  const out: GrpcTlsPaths = {};
  if (given.ca_cert !== undefined) out.caCert = given.ca_cert;
  if (given.client_cert !== undefined) out.clientCert = given.client_cert;
  if (given.client_key !== undefined) out.clientKey = given.client_key;
  return out;
}

/** The `pkcs11` plugin's keys, as upstream's `Pkcs11Config` (module and pin required). */
function readPkcs11(p: Section): Extract<PluginConfig, { name: 'pkcs11' }> {
  const context = 'for the pkcs11 plugin';
  return {
    name: 'pkcs11',
    module: p.requiredString('module', context),
    slotIndex: p.int('slot_index', 0, 0, 255),
    pin: p.requiredString('pin', context, { secret: true }),
    rsaMechanism: p.oneOf('rsa_mechanism', { RsaPkcsOaep: 'RsaPkcsOaep', RsaPkcsTest: 'RsaPkcsTest' } as const, 'RsaPkcsOaep'),
    lookupLabel: p.string('lookup_label', ''),
    configKey: p.path,
  };
}

/** `backends = [{ name, endpoint, ca_cert_path?, timeout_ms? }]` of the external plugin, checked as upstream checks them. */
function readExternalBackends(p: Section): Array<{ name: string; endpoint: string; caCertPath?: string; timeoutMs?: number }> {
  const secs = p.sections('backends');
  if (secs.length === 0) throw new ConfigError(`${p.key('backends')}: the external plugin needs at least one backend`, { key: p.key('backends') });
  const seen = new Set<string>();
  return secs.map((b) => {
    const name = b.optString('name');
    const endpoint = b.optString('endpoint');
    if (!name) throw new ConfigError(`${b.key('name')} is required`, { key: b.key('name') });
    if (!endpoint) throw new ConfigError(`${b.key('endpoint')} is required`, { key: b.key('endpoint') });
    if (seen.has(name)) throw new ConfigError(`${b.key('name')}: duplicate backend name ${JSON.stringify(name)}`, { key: b.key('name') });
    seen.add(name);
    if (!GRPC_ADDRESS.test(endpoint)) throw new ConfigError(`${b.key('endpoint')}: expected http://host:port or https://host:port, got ${JSON.stringify(endpoint)}`, { key: b.key('endpoint') });
    const caCertPath = b.optString('ca_cert_path');
    if (endpoint.startsWith('https://') && caCertPath === undefined) throw new ConfigError(`${b.key('ca_cert_path')} is required for an https:// endpoint`, { key: b.key('ca_cert_path') });
    const timeoutMs = b.optInt('timeout_ms', 1, 2 ** 31 - 1);
    b.done();
    const out: { name: string; endpoint: string; caCertPath?: string; timeoutMs?: number } = { name, endpoint };
    if (caCertPath !== undefined) out.caCertPath = caCertPath;
    if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
    return out;
  });
}

export function readPlugins(secs: Section[], unsupported: Unsupported): PluginConfig[] {
  const out: PluginConfig[] = [];
  for (const p of secs) {
    const name = p.optString('name');
    if (name === 'resource') {
      const backend = p.string('storage_backend_type', 'kvstorage');
      if (backend.toLowerCase() !== 'kvstorage') {
        unsupported.push(new ConfigError(`${p.key('storage_backend_type')} = "${backend}" is not supported (only "kvstorage")`, { key: p.key('storage_backend_type') }));
        p.skipRest();
      }
      out.push({ name: 'resource', storageBackendType: 'kvstorage' });
    } else if (name === 'sample') {
      out.push({ name: 'sample', item: p.string('item', '') });
    } else if (name === 'external') {
      out.push({ name: 'external', backends: readExternalBackends(p) });
    } else if (name === 'pkcs11') {
      out.push(readPkcs11(p));
    } else if (name === 'provisioner') {
      out.push({ name: 'provisioner', keyLength: p.int('key_length', 32, 16, 4096) });
    } else {
      unsupported.push(new ConfigError(`${p.key('name')} = ${JSON.stringify(name)} is not supported (plugins: resource, sample, external, pkcs11, provisioner)`, { key: p.key('name') }));
      p.skipRest();
    }
    p.done();
  }
  return out;
}
