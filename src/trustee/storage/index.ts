/**
 * Storage: the `KvStore` interface and its backends, chosen by `openStore(config)`.
 * @module
 */
import type { KvStore } from './kv.js';
import { MemoryStore } from './memory.js';

export type { KvStore, Namespace, SetOptions } from './kv.js';
export { MemoryStore } from './memory.js';

/** Which backend to open and where. */
export type StorageConfig =
  | { type: 'memory' }
  | { type: 'sqlite'; path: string }
  | { type: 'postgres'; connectionString: string; table?: string; maxConnections?: number };

/**
 * Open the configured backend. SQLite and PostgreSQL are loaded lazily so that a memory-only
 * process never loads their native or network drivers. Throws `Unavailable` when the backend
 * cannot be opened (file not writable, server unreachable).
 */
export async function openStore(config: StorageConfig, options: { now?: () => number } = {}): Promise<KvStore> {
  const now = options.now;
  switch (config.type) {
    case 'memory':
      return new MemoryStore(now);
    case 'sqlite': {
      const { SqliteStore } = await import('./sqlite.js');
      return new SqliteStore({ path: config.path, ...(now ? { now } : {}) });
    }
    case 'postgres': {
      const { PostgresStore } = await import('./postgres.js');
      return PostgresStore.open({ ...config, ...(now ? { now } : {}) });
    }
  }
}
