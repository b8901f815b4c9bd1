/**
 * PostgreSQL `KvStore` (shared by replicas), the one file importing `pg`. One table with a namespace
 * column; expiry as `expires_at` (ms since epoch, compared with the injected clock). A write
 * resolves once its statement committed (autocommit, `synchronous_commit` left at the server's `on`).
 * @module
 */
import pg from 'pg';
import { Unavailable } from '../../core/index.js';
import type { KvStore, Namespace, SetOptions } from './kv.js';

export interface PostgresOptions {
  /** `postgres://user:pass@host:port/db` */
  connectionString: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** Table name (default `coco_kv`); letters, digits and `_` only. */
  table?: string;
  now?: () => number;
}

// Serialises schema creation between replicas starting at the same moment.
const SCHEMA_LOCK = 0x636f636f;

export class PostgresStore implements KvStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly t: string;
  private readonly now: () => number;

  private constructor(pool: pg.Pool, table: string, now: () => number) {
    this.pool = pool;
    this.t = table;
    this.now = now;
  }

  /** Connect and create the table if missing; throws `Unavailable` when the server cannot be reached. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const table = options.table ?? 'coco_kv';
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(table)) throw new TypeError(`invalid table name ${table}`);
    const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const store = new PostgresStore(pool, table, options.now ?? Date.now);
    try {
      await store.migrate();
    } catch (cause) {
      await pool.end().catch(() => {});
      throw new Unavailable(`postgres: cannot open store: ${(cause as Error).message}`, { cause });
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await c.query(`CREATE SEQUENCE IF NOT EXISTS ${this.t}_seq`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${this.t} (
           ns TEXT NOT NULL, key TEXT NOT NULL, value BYTEA NOT NULL, expires_at BIGINT,
           seq BIGINT NOT NULL DEFAULT nextval('${this.t}_seq'), PRIMARY KEY (ns, key))`,
      );
      await c.query(`CREATE INDEX IF NOT EXISTS ${this.t}_ns_seq ON ${this.t} (ns, seq)`);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  private async q<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (cause) {
      throw new Unavailable(`postgres: ${what} failed: ${(cause as Error).message}`, { cause });
    }
  }

  async get(ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    const r = await this.q<{ value: Buffer }>(
      'get',
      `SELECT value FROM ${this.t} WHERE ns = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)`,
      [ns, key, this.now()],
    );
    const row = r.rows[0];
    return row ? new Uint8Array(row.value) : undefined;
  }

  async set(ns: Namespace, key: string, value: Uint8Array, options: SetOptions = {}): Promise<boolean> {
    const onlyIfExpired = options.overwrite === false ? `WHERE ${this.t}.expires_at IS NOT NULL AND ${this.t}.expires_at <= $5` : '';
    const params: unknown[] = [ns, key, Buffer.from(value), options.expiresAt ?? null];
    if (onlyIfExpired) params.push(this.now());
    const r = await this.q(
      'set',
      `INSERT INTO ${this.t} (ns, key, value, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at,
       seq = nextval('${this.t}_seq') ${onlyIfExpired}`,
      params,
    );
    return (r.rowCount ?? 0) > 0;
  }

  async delete(ns: Namespace, key: string): Promise<boolean> {
    const r = await this.q<{ live: boolean }>(
      'delete',
      `DELETE FROM ${this.t} WHERE ns = $1 AND key = $2 RETURNING (expires_at IS NULL OR expires_at > $3) AS live`,
      [ns, key, this.now()],
    );
    return r.rows.some((row) => row.live);
  }

  async list(ns: Namespace, prefix = ''): Promise<string[]> {
    const r = await this.q<{ key: string }>(
      'list',
      `SELECT key FROM ${this.t} WHERE ns = $1 AND starts_with(key, $2) AND (expires_at IS NULL OR expires_at > $3)`,
      [ns, prefix, this.now()],
    );
    // Sorted in JS so every backend orders keys the same way (UTF-16 code units).
    return r.rows.map((row) => row.key).sort();
  }

  async sweep(ns: Namespace, maxEntries?: number): Promise<number> {
    const expired = await this.q('sweep', `DELETE FROM ${this.t} WHERE ns = $1 AND expires_at IS NOT NULL AND expires_at <= $2`, [ns, this.now()]);
    let removed = expired.rowCount ?? 0;
    if (maxEntries !== undefined) {
      const old = await this.q(
        'sweep',
        `DELETE FROM ${this.t} WHERE ns = $1 AND seq NOT IN (SELECT seq FROM ${this.t} WHERE ns = $1 ORDER BY seq DESC LIMIT $2)`,
        [ns, Math.max(0, Math.floor(maxEntries))],
      );
      removed += old.rowCount ?? 0;
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
