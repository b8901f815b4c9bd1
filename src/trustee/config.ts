/**
 * Trustee configuration: reads upstream `kbs-config.toml` (strictly: unknown keys are errors, as
 * upstream's `deny_unknown_fields`), applies env and CLI overrides, and fills defaults. With no
 * config file the embedded defaults apply: plain HTTP on 127.0.0.1:8080, SQLite in the data dir,
 * admin JWTs signed by the data dir's key. Throws `ConfigError` naming the offending key.
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, MalformedInput, parseRange, parseToml } from '../core/index.js';
import { readAdmin } from './config/admin-section.js';
import { parseWorkerCount } from './config/args.js';
import { Section } from './config/reader.js';
import { readAttestationService, readAttestationToken, readHttpServer, readPlugins, type Unsupported } from './config/service-sections.js';
import { STORAGE_TYPES, readStorageBackend, type StorageType } from './config/storage-section.js';
import type { TrusteeConfig } from './config/types.js';
import { DEFAULT_HEAP_GROWING_PERCENT } from './heap.js';

export type {
  TrusteeConfig,
  HttpServerConfig,
  AttestationTokenConfig,
  AttestationServiceConfig,
  TokenBrokerConfig,
  PluginConfig,
  RetentionConfig,
  TlsProfile,
} from './config/types.js';
export { parseTrusteeArgs, TRUSTEE_FLAGS_HELP } from './config/args.js';
export { defaultAdminConfig } from './config/admin-section.js';

/** Overrides from CLI flags (they win over env and file). */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  storage?: 'memory' | 'sqlite' | 'postgres';
  insecureHttp?: boolean;
  verboseErrors?: boolean;
  /** Worker processes (`--workers`); wins over env `COCO_WORKERS` and `[http_server] worker_count`. */
  workers?: number;
}

export interface LoadConfigOptions {
  /** Config file; else env `KBS_CONFIG_FILE`; else embedded defaults. */
  file?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  overrides?: ConfigOverrides;
}

export const DEFAULT_PROTOCOL_VERSION = '=0.4.0';
export const DEFAULT_DATA_DIR = './data';

function readFileText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}: ${(cause as Error).message}`, { key: 'config-file', cause });
  }
}

/** Parse config text (TOML) into a typed config; `source` is only used in messages. */
export function parseConfigText(text: string, options: Omit<LoadConfigOptions, 'file'> & { source?: string } = {}): TrusteeConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text, options.source ?? 'config');
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { key: (cause as MalformedInput).where, cause });
  }
  return build(new Section(doc), options, options.source, true);
}

/** Load the configuration from file (or embedded defaults), env and overrides. */
export function loadConfig(options: LoadConfigOptions = {}): TrusteeConfig {
  const env = options.env ?? {};
  const file = options.file ?? (env.KBS_CONFIG_FILE || undefined);
  if (file === undefined) return build(new Section({}), options, undefined, false);
  const path = resolve(options.cwd ?? '.', file);
  return parseConfigText(readFileText(path), { ...options, source: path });
}

function build(root: Section, options: LoadConfigOptions, source: string | undefined, fromFile: boolean): TrusteeConfig {
  const env = options.env ?? {};
  const o = options.overrides ?? {};
  const cwd = options.cwd ?? '.';
  const unsupported: Unsupported = [];

  // `[kbs]`: our extensions (upstream has no such section).
  const ext = root.section('kbs');
  const fileDataDir = ext.string('data_dir', DEFAULT_DATA_DIR);
  const dataDir = resolve(cwd, o.dataDir ?? (env.COCO_DATA_DIR || undefined) ?? fileDataDir);
  const versionText = ext.string('version_range', DEFAULT_PROTOCOL_VERSION);
  let protocolVersion;
  try {
    protocolVersion = parseRange(versionText, 'kbs.version_range');
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { key: 'kbs.version_range', cause });
  }
  const fileVerbose = ext.bool('verbose_errors', false);
  const verboseErrors = o.verboseErrors ?? envBool(env.COCO_VERBOSE_ERRORS) ?? fileVerbose;
  const auditSuccesses = ext.bool('audit_successes', false);
  const retention = {
    auditMaxEntries: ext.int('audit_max_entries', 100_000, 0),
    sessionMaxEntries: ext.int('session_max_entries', 100_000, 1),
    sweepIntervalSec: ext.int('sweep_interval_sec', 60, 1, 86_400),
  };
  const jwkSetsRefreshSec = ext.int('jwk_sets_refresh_sec', 300, 0, 86_400);
  const heapGrowingPercent = ext.int('heap_growing_percent', DEFAULT_HEAP_GROWING_PERCENT, 0, 1000);
  ext.done();

  // Upstream's default store is Memory; ours, with no config file, is SQLite in the data dir.
  const storageSec = root.section('storage_backend');
  const backends = readStorageBackend(storageSec, env, dataDir, fromFile ? 'Memory' : 'Sqlite');
  const storageType: StorageType = o.storage ? flagStorage(o.storage) : backends.defaultType;
  const storage = backends.resolve(storageType, 'storage_backend.storage_type');
  // Sessions follow the storage type (as upstream) except in the embedded default, where they stay in
  // memory as in upstream's default: they are 5-minute protocol state, a restart only makes guests run
  // /auth again, and two fsynced session writes per handshake would halve its throughput.
  const sessionDefault: StorageType = o.storage || fromFile ? storageType : 'Memory';
  const sessionType = root.has('session_storage_type') && !o.storage ? root.oneOf('session_storage_type', STORAGE_TYPES) : sessionDefault;
  root.raw('session_storage_type');
  const sessionStorage = backends.resolve(sessionType, 'session_storage_type');

  const http = readHttpServer(root.section('http_server'), { insecureHttp: !fromFile });
  const host = o.host ?? (env.COCO_HOST || undefined);
  const port = o.port ?? envPort(env.COCO_PORT);
  if (host !== undefined || port !== undefined) {
    http.sockets = [{ host: host ?? http.sockets[0]!.host, port: port ?? http.sockets[0]!.port }];
  }
  if (o.insecureHttp !== undefined) http.insecureHttp = o.insecureHttp;
  const workers = o.workers ?? (env.COCO_WORKERS ? parseWorkerCount(env.COCO_WORKERS, 'COCO_WORKERS') : undefined);
  if (workers !== undefined) http.workerCount = workers;

  const admin = readAdmin(root.optSection('admin'), dataDir);
  const attestationToken = { ...readAttestationToken(root.section('attestation_token')), refreshSec: jwkSetsRefreshSec };
  const attestationService = readAttestationService(root.section('attestation_service'), backends, unsupported);
  const plugins = readPlugins(root.sections('plugins'), unsupported);
  root.done();
  if (unsupported.length > 0) throw unsupported[0]!;

  const config: TrusteeConfig = {
    dataDir,
    http,
    admin,
    attestationToken,
    attestationService,
    storage,
    sessionStorage,
    plugins,
    protocolVersion,
    verboseErrors,
    auditSuccesses,
    retention,
    heapGrowingPercent,
  };
  if (source !== undefined) config.source = source;
  return config;
}

function flagStorage(s: NonNullable<ConfigOverrides['storage']>): StorageType {
  return s === 'memory' ? 'Memory' : s === 'sqlite' ? 'Sqlite' : 'Postgres';
}

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`COCO_VERBOSE_ERRORS: expected true or false, got ${JSON.stringify(v)}`, { key: 'COCO_VERBOSE_ERRORS' });
}

function envPort(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`COCO_PORT: expected a port number, got ${JSON.stringify(v)}`, { key: 'COCO_PORT' });
  return n;
}
