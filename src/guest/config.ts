/**
 * Guest configuration: command-line flags, a config file with the same keys (TOML or JSON), and
 * the upstream keys that apply from `aa.toml` / `cdh.toml` (in the file itself or inside the
 * initdata), in that order of precedence. Parsed once into a typed `GuestConfig`.
 * @module
 */
import { ConfigError, expectArray, expectBoolean, expectNumber, expectObject, expectString, parseJsonText, parseToml } from '../core/index.js';
import { decodeInitDataAnnotation, parseInitData, type InitData } from '../protocol/index.js';
import type { ApiFeatures } from './api-server/routes.js';
import { parseAttesterName, type AttesterName } from './attester/registry.js';
import type { Credential } from './cdh/resource.js';
import { parseTeeKeyAlgorithm, type TeeKeyAlgorithm } from './kbs-client/tee-key.js';

export interface GuestConfig {
  kbsUrl: string | undefined;
  /** PEM of the CA that KBS TLS must chain to (upstream `cert` / `kbs_cert`). */
  kbsCaPem: string | undefined;
  attester: 'auto' | AttesterName;
  tpm: string | undefined;
  /** The exact initdata TOML text. */
  initDataToml: string | undefined;
  teeKeyAlgorithm: TeeKeyAlgorithm;
  skipSealedSecretVerification: boolean;
  credentials: Credential[];
  eventlog: { enabled: boolean; initPcr: number };
  listen: { host: string; port: number };
  features: ApiFeatures;
}

/** Flat settings as flags or config-file keys give them (paths not yet read). */
export interface GuestSettings {
  'kbs-url'?: string;
  'kbs-ca'?: string;
  attester?: string;
  tpm?: string;
  initdata?: string;
  listen?: string;
  features?: string;
}

/** File reader (injected so config parsing stays testable). */
export type ReadText = (path: string) => Promise<string>;

/** Parse a config document: our flat keys plus the upstream AA/CDH sections. */
export function parseConfigDocument(doc: Record<string, unknown>): { settings: GuestSettings; upstream: Partial<GuestConfig> & { caPemInline?: string } } {
  const settings: GuestSettings = {};
  for (const k of ['kbs-url', 'kbs-ca', 'attester', 'tpm', 'initdata', 'listen', 'features'] as const) {
    if (doc[k] !== undefined) settings[k] = expectString(doc[k], k);
  }
  const up: Partial<GuestConfig> & { caPemInline?: string } = {};
  const kbsTok = (doc.token_configs as Record<string, unknown> | undefined)?.kbs;
  if (kbsTok !== undefined) {
    const o = expectObject(kbsTok, 'token_configs.kbs');
    if (o.url !== undefined) up.kbsUrl = expectString(o.url, 'token_configs.kbs.url');
    if (o.cert !== undefined) up.caPemInline = expectString(o.cert, 'token_configs.kbs.cert');
    if (o.tee_key_algorithm !== undefined) up.teeKeyAlgorithm = parseTeeKeyAlgorithm(expectString(o.tee_key_algorithm, 'token_configs.kbs.tee_key_algorithm'));
  }
  if (doc.eventlog_config !== undefined) {
    const o = expectObject(doc.eventlog_config, 'eventlog_config');
    up.eventlog = {
      enabled: o.enable_eventlog === undefined ? false : expectBoolean(o.enable_eventlog, 'eventlog_config.enable_eventlog'),
      initPcr: o.init_pcr === undefined ? 17 : expectNumber(o.init_pcr, 'eventlog_config.init_pcr'),
    };
    if (!Number.isInteger(up.eventlog.initPcr) || up.eventlog.initPcr < 0 || up.eventlog.initPcr > 23) throw new ConfigError('eventlog_config.init_pcr must be 0-23', { key: 'eventlog_config.init_pcr' });
  }
  if (doc.kbc !== undefined) {
    const o = expectObject(doc.kbc, 'kbc');
    const name = o.name === undefined ? 'cc_kbc' : expectString(o.name, 'kbc.name');
    if (name !== 'cc_kbc') throw new ConfigError(`kbc.name ${JSON.stringify(name)} is not supported (cc_kbc only)`, { key: 'kbc.name' });
    if (o.url !== undefined && o.url !== '') up.kbsUrl ??= expectString(o.url, 'kbc.url');
    if (o.kbs_cert !== undefined) up.caPemInline ??= expectString(o.kbs_cert, 'kbc.kbs_cert');
  }
  if (doc.skip_sealed_secret_verification !== undefined) up.skipSealedSecretVerification = expectBoolean(doc.skip_sealed_secret_verification, 'skip_sealed_secret_verification');
  if (doc.credentials !== undefined) {
    up.credentials = expectArray(doc.credentials, 'credentials').map((c, i) => {
      const o = expectObject(c, `credentials[${i}]`);
      return { resourceUri: expectString(o.resource_uri, `credentials[${i}].resource_uri`), path: expectString(o.path, `credentials[${i}].path`) };
    });
  }
  return { settings, upstream: up };
}

/** Parse config text by file name: `.json` as JSON, anything else as TOML. */
export function parseConfigText(text: string, name: string): Record<string, unknown> {
  return name.endsWith('.json') ? expectObject(parseJsonText(text, name), name) : parseToml(text, name);
}

/** initdata from a file that holds either the TOML or the annotation value (base64 of gzip). */
export function readInitDataText(content: string): { toml: string; initData: InitData } {
  try {
    return { toml: content, initData: parseInitData(content) };
  } catch (tomlErr) {
    let toml: string;
    try {
      toml = decodeInitDataAnnotation(content);
    } catch {
      throw tomlErr;
    }
    return { toml, initData: parseInitData(toml) };
  }
}

function parseListen(v: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`listen ${JSON.stringify(v)} must be host:port`, { key: 'listen' });
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/**
 * Build the configuration. `flags` win over `configFile`, which wins over the initdata's
 * `aa.toml`/`cdh.toml`.
 */
export async function loadGuestConfig(flags: GuestSettings & { config?: string }, read: ReadText): Promise<GuestConfig> {
  const fileDoc = flags.config ? parseConfigDocument(parseConfigText(await read(flags.config), flags.config)) : { settings: {}, upstream: {} };
  const s: GuestSettings = { ...fileDoc.settings, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  let initDataToml: string | undefined;
  let fromInit: Partial<GuestConfig> & { caPemInline?: string } = {};
  if (s.initdata) {
    const { toml, initData } = readInitDataText(await read(s.initdata));
    initDataToml = toml;
    for (const key of ['aa.toml', 'cdh.toml']) {
      const text = initData.data[key];
      if (text !== undefined) fromInit = { ...fromInit, ...parseConfigDocument(parseToml(text, `initdata ${key}`)).upstream };
    }
  }
  const up = { ...fromInit, ...fileDoc.upstream };
  const attester = s.attester === undefined || s.attester === 'auto' ? 'auto' : parseAttesterName(s.attester);
  const features = s.features ?? 'all';
  if (!['resource', 'attestation', 'all'].includes(features)) throw new ConfigError('features must be resource, attestation or all', { key: 'features' });
  const kbsUrl = s['kbs-url'] ?? up.kbsUrl;
  if (kbsUrl !== undefined && !/^https?:\/\/[^/]+/.test(kbsUrl)) throw new ConfigError(`KBS URL ${JSON.stringify(kbsUrl)} must be http(s)://host[:port]`, { key: 'kbs-url' });
  return {
    kbsUrl: kbsUrl?.replace(/\/+$/, ''),
    kbsCaPem: s['kbs-ca'] ? await read(s['kbs-ca']) : up.caPemInline,
    attester,
    tpm: s.tpm,
    initDataToml,
    teeKeyAlgorithm: up.teeKeyAlgorithm ?? 'ECDH-ES+A256KW-P256',
    skipSealedSecretVerification: up.skipSealedSecretVerification ?? false,
    credentials: up.credentials ?? [],
    eventlog: up.eventlog ?? { enabled: false, initPcr: 17 },
    listen: parseListen(s.listen ?? '127.0.0.1:8006'),
    features: features as ApiFeatures,
  };
}
