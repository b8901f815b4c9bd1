/**
 * `[storage_backend]` and `session_storage_type`: upstream storage types mapped onto our backends.
 * Memory → memory; LocalFs/LocalJson (single-node, on disk) → SQLite in their directory; Postgres →
 * PostgreSQL (env `POSTGRES_URL` wins, as upstream); Sqlite (ours) → SQLite file. Redis is refused.
 * @module
 */
import { join } from 'node:path';
import { ConfigError } from '../../core/index.js';
import type { StorageConfig } from '../storage/index.js';
import type { Section } from './reader.js';

export type StorageType = 'Memory' | 'LocalFs' | 'LocalJson' | 'Postgres' | 'Redis' | 'Sqlite';
export const STORAGE_TYPES: Record<string, StorageType> = {
  Memory: 'Memory',
  LocalFs: 'LocalFs',
  LocalJson: 'LocalJson',
  Postgres: 'Postgres',
  Redis: 'Redis',
  Sqlite: 'Sqlite',
};

/** SQLite file name used inside a LocalFs/LocalJson directory or the data dir. */
export const SQLITE_FILE = 'kbs.sqlite';

export interface StorageBackends {
  defaultType: StorageType;
  /** Resolve a storage type to a backend; `key` names the config key for errors. */
  resolve(type: StorageType, key: string): StorageConfig;
}

function postgresUrl(pg: Section): string {
  const host = pg.string('host', '127.0.0.1');
  const port = pg.int('port', 5432, 1, 65535);
  const db = pg.string('db', 'kbs');
  const user = pg.string('username', 'postgres');
  const password = pg.optString('password', { secret: true });
  const auth = encodeURIComponent(user) + (password !== undefined ? `:${encodeURIComponent(password)}` : '');
  return `postgres://${auth}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(db)}`;
}

/** Read `[storage_backend]` (absent: `fallback` type). */
export function readStorageBackend(sec: Section, env: Record<string, string | undefined>, dataDir: string, fallback: StorageType): StorageBackends {
  const defaultType = sec.oneOf('storage_type', STORAGE_TYPES, fallback);
  const backends = sec.section('backends');
  const localFs = backends.section('local_fs');
  const localFsDir = localFs.string('dir_path', '/opt/confidential-containers/storage/local_fs');
  const localJson = backends.section('local_json');
  const localJsonDir = localJson.string('file_dir_path', '/opt/confidential-containers/storage/local_json');
  const sqlite = backends.section('sqlite');
  const sqlitePath = sqlite.string('path', join(dataDir, SQLITE_FILE));
  const pg = backends.section('postgres');
  const pgTable = pg.optString('table');
  const pgUrl = env.POSTGRES_URL || postgresUrl(pg);
  const redis = backends.section('redis');
  redis.optString('url');
  for (const s of [localFs, localJson, sqlite, pg, redis, backends, sec]) s.done();

  return {
    defaultType,
    resolve(type, key) {
      switch (type) {
        case 'Memory':
          return { type: 'memory' };
        case 'LocalFs':
          return { type: 'sqlite', path: join(localFsDir, SQLITE_FILE) };
        case 'LocalJson':
          return { type: 'sqlite', path: join(localJsonDir, SQLITE_FILE) };
        case 'Sqlite':
          return { type: 'sqlite', path: sqlitePath };
        case 'Postgres':
          return { type: 'postgres', connectionString: pgUrl, ...(pgTable ? { table: pgTable } : {}) };
        case 'Redis':
          throw new ConfigError(`${key} = "Redis" is not supported: use "Postgres" to share state between replicas`, { key });
      }
    },
  };
}
