/**
 * SQLite `KvStore` (the embedded default), the one file importing better-sqlite3. WAL journal with
 * synchronous=FULL: better-sqlite3 is synchronous, so when a write call returns the transaction is
 * committed and the WAL fsynced, hence each promise resolves only once the write is durable.
 * @module
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Unavailable } from '../../core/index.js';
import type { KvStore, Namespace, SetOptions } from './kv.js';

export interface SqliteOptions {
  /** Database file; `:memory:` for a private in-memory database. */
  path: string;
  /** Clock in ms since epoch (injected for tests). */
  now?: () => number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  expires_at INTEGER,
  seq INTEGER NOT NULL,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_ns_seq ON kv (ns, seq);
CREATE INDEX IF NOT EXISTS kv_expires ON kv (ns, expires_at) WHERE expires_at IS NOT NULL;
`;

// `seq` orders keys by last write, for `sweep(ns, maxEntries)`; it is per namespace.
const NEXT_SEQ = '(SELECT COALESCE(MAX(seq), 0) + 1 FROM kv WHERE ns = @ns)';
const LIVE = '(expires_at IS NULL OR expires_at > @now)';

type Row = { value: Buffer };

export class SqliteStore implements KvStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly stmt;

  constructor(options: SqliteOptions) {
    this.now = options.now ?? Date.now;
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (cause) {
      throw new Unavailable(`sqlite: cannot open ${options.path}: ${(cause as Error).message}`, { cause });
    }
    const db = this.db;
    this.stmt = {
      get: db.prepare<{ ns: string; key: string; now: number }, Row>(`SELECT value FROM kv WHERE ns = @ns AND key = @key AND ${LIVE}`),
      upsert: db.prepare(
        `INSERT INTO kv (ns, key, value, expires_at, seq) VALUES (@ns, @key, @value, @exp, ${NEXT_SEQ})
         ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, seq = excluded.seq`,
      ),
      insertIfAbsent: db.prepare(
        `INSERT INTO kv (ns, key, value, expires_at, seq) VALUES (@ns, @key, @value, @exp, ${NEXT_SEQ})
         ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, seq = excluded.seq
         WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= @now`,
      ),
      delete: db.prepare(`DELETE FROM kv WHERE ns = @ns AND key = @key AND ${LIVE}`),
      deleteAny: db.prepare('DELETE FROM kv WHERE ns = @ns AND key = @key'),
      list: db.prepare<{ ns: string; prefix: string; now: number }, { key: string }>(
        `SELECT key FROM kv WHERE ns = @ns AND substr(key, 1, length(@prefix)) = @prefix AND ${LIVE} ORDER BY key`,
      ),
      sweepExpired: db.prepare('DELETE FROM kv WHERE ns = @ns AND expires_at IS NOT NULL AND expires_at <= @now'),
      sweepOldest: db.prepare(
        'DELETE FROM kv WHERE ns = @ns AND seq NOT IN (SELECT seq FROM kv WHERE ns = @ns ORDER BY seq DESC LIMIT @max)',
      ),
    };
  }

  private run<T>(what: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (cause) {
      return Promise.reject(new Unavailable(`sqlite: ${what} failed: ${(cause as Error).message}`, { cause }));
    }
  }

  get(ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    return this.run('get', () => {
      const row = this.stmt.get.get({ ns, key, now: this.now() });
      return row ? new Uint8Array(row.value) : undefined;
    });
  }

  set(ns: Namespace, key: string, value: Uint8Array, options: SetOptions = {}): Promise<boolean> {
    return this.run('set', () => {
      const params = { ns, key, value: Buffer.from(value), exp: options.expiresAt ?? null, now: this.now() };
      if (options.overwrite === false) return this.stmt.insertIfAbsent.run(params).changes > 0;
      const { now: _now, ...upsert } = params;
      this.stmt.upsert.run(upsert);
      return true;
    });
  }

  delete(ns: Namespace, key: string): Promise<boolean> {
    return this.run('delete', () =>
      this.db.transaction(() => {
        const had = this.stmt.delete.run({ ns, key, now: this.now() }).changes > 0;
        this.stmt.deleteAny.run({ ns, key });
        return had;
      })(),
    );
  }

  list(ns: Namespace, prefix = ''): Promise<string[]> {
    return this.run('list', () => this.stmt.list.all({ ns, prefix, now: this.now() }).map((r) => r.key).sort());
  }

  sweep(ns: Namespace, maxEntries?: number): Promise<number> {
    return this.run('sweep', () =>
      this.db.transaction(() => {
        let removed = this.stmt.sweepExpired.run({ ns, now: this.now() }).changes;
        if (maxEntries !== undefined) removed += this.stmt.sweepOldest.run({ ns, max: Math.max(0, Math.floor(maxEntries)) }).changes;
        return removed;
      })(),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
