/**
 * Trustee server flags: `-c/--config-file` (or `--config`), `--host`, `--port`, `--data-dir`, `--storage`,
 * `--insecure-http`, `--verbose-errors`, `--workers`. Returns the file and overrides for `loadConfig`.
 * @module
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/index.js';
import type { ConfigOverrides } from '../config.js';

export interface TrusteeArgs {
  file?: string;
  overrides: ConfigOverrides;
  help: boolean;
}

export const TRUSTEE_FLAGS_HELP = `  -c, --config-file FILE  kbs-config.toml (also --config; env KBS_CONFIG_FILE)
      --host ADDR          listen address (default 127.0.0.1)
      --port N             listen port (default 8080)
      --data-dir DIR       embedded store and admin key (default ./data, env COCO_DATA_DIR)
      --storage KIND       memory | sqlite | postgres (env POSTGRES_URL for postgres)
      --insecure-http      serve plain HTTP
      --verbose-errors     include causes in error details
      --workers N          worker processes behind the port (default 1, env COCO_WORKERS;
                           [http_server] worker_count); N > 1 needs SQLite or PostgreSQL storage`;

/** Parse server flags; throws `ConfigError` on an unknown flag or a bad value. */
export function parseTrusteeArgs(argv: string[]): TrusteeArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        'config-file': { type: 'string', short: 'c' },
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        storage: { type: 'string' },
        'insecure-http': { type: 'boolean' },
        'verbose-errors': { type: 'boolean' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { key: 'argv', cause });
  }
  const overrides: ConfigOverrides = {};
  if (v.host !== undefined) overrides.host = v.host;
  if (v.port !== undefined) {
    const n = Number(v.port);
    if (!/^\d+$/.test(v.port) || n > 65535) throw new ConfigError(`--port: expected a port number, got ${JSON.stringify(v.port)}`, { key: '--port' });
    overrides.port = n;
  }
  if (v['data-dir'] !== undefined) overrides.dataDir = v['data-dir'];
  if (v.storage !== undefined) {
    if (v.storage !== 'memory' && v.storage !== 'sqlite' && v.storage !== 'postgres') {
      throw new ConfigError(`--storage: expected memory, sqlite or postgres, got ${JSON.stringify(v.storage)}`, { key: '--storage' });
    }
    overrides.storage = v.storage;
  }
  if (v['insecure-http']) overrides.insecureHttp = true;
  if (v['verbose-errors']) overrides.verboseErrors = true;
  if (v.workers !== undefined) overrides.workers = parseWorkerCount(v.workers, '--workers');
  const out: TrusteeArgs = { overrides, help: v.help === true };
  if (v['config-file'] !== undefined && v.config !== undefined) throw new ConfigError('give --config-file or --config, not both', { key: '--config' });
  const file = v['config-file'] ?? v.config;
  if (file !== undefined) out.file = file;
  return out;
}

/** A worker count, 1–1024 (the range `[http_server] worker_count` accepts). */
export function parseWorkerCount(text: string, key: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1024) throw new ConfigError(`${key}: expected a worker count from 1 to 1024, got ${JSON.stringify(text)}`, { key });
  return n;
}
