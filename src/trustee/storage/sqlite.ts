/**
 * SQLite `KvStore` (the embedded default), the one file importing better-sqlite3. WAL journal with
 * synchronous=FULL, so a commit returns only after the WAL is fsynced. Writes use group commit:
 * the writes issued in one event-loop turn run in one transaction (in issue order), and each
 * promise resolves only after that transaction committed, i.e. once its write is durable. One
 * fsync then serves many concurrent writers.
 * @module
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Unavailable } from '../../core/index.js';
import type { KvStore, Namespace, SetOptions } from './kv.js';

export interface SqliteOptions {
  /** Database file; `:memory:` for a private in-memory database. */
  path: string;
  /** Clock in ms since epoch (injected for tests). */
  now?: () => number;
  /**
   * `changeStamp` asks SQLite whether another connection committed (`PRAGMA data_version`, a read
   * transaction with its shared-memory locks) at most once per this many ms; our own commits count at
   * once. Default 1: a policy another process wrote is seen within a millisecond, and a busy server
   * makes a few hundred such queries a second rather than two per handshake (~9 % of its event loop
   * when it asked every time). 0 asks on every call.
   */
  otherWritersCheckMs?: number;
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

interface PendingWrite {
  what: string;
  fn: () => unknown;
  resolve: (v: never) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements KvStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly stmt;
  private pending: PendingWrite[] = [];
  /** `changeStamp` state: SQLite's data_version last seen, and the stamp handed out. */
  private lastDataVersion = -1;
  private stamp = 0;
  /** When data_version was last read (this.now()), and how often it may be read. */
  private lastCheck = Number.NEGATIVE_INFINITY;
  private readonly checkEveryMs: number;

  constructor(options: SqliteOptions) {
    this.now = options.now ?? Date.now;
    this.checkEveryMs = options.otherWritersCheckMs ?? 1;
    if (!(this.checkEveryMs >= 0)) throw new RangeError('otherWritersCheckMs must be a non-negative number');
    try {
      if (options.path !== ':memory:') {
        // Resources are secrets: the directory and the database (SQLite gives its -wal/-shm files
        // the database file's mode) are readable by the owner only.
        mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
        if (!existsSync(options.path)) closeSync(openSync(options.path, 'a', 0o600));
      }
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
      // Changes when another connection (another process on the same file) commits; not for our own commits.
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
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

  /** Queue a write for the group commit of this event-loop turn. */
  private write<T>(what: string, fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ what, fn, resolve: resolve as (v: never) => void, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let results: unknown[];
    // Our own commits do not move data_version: count them here (a rolled-back batch counts too, harmlessly).
    this.stamp++;
    try {
      results = this.db.transaction(() => batch.map((w) => w.fn()))();
    } catch {
      // The whole batch rolled back: run each write alone so only the failing ones reject.
      for (const w of batch) {
        try {
          w.resolve(this.db.transaction(w.fn)() as never);
        } catch (cause) {
          w.reject(new Unavailable(`sqlite: ${w.what} failed: ${(cause as Error).message}`, { cause }));
        }
      }
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i] as never));
  }

  /**
   * See `KvStore.changeStamp`: our commits at once, and other connections' through SQLite's
   * `PRAGMA data_version`, read at most once per `otherWritersCheckMs`.
   */
  changeStamp(): number {
    const now = this.now();
    if (now - this.lastCheck < this.checkEveryMs) return this.stamp;
    this.lastCheck = now;
    let dataVersion: number;
    try {
      dataVersion = this.stmt.dataVersion.get() as number;
    } catch {
      // Closed or failing: a new stamp sends the caller to read, which reports the failure as Unavailable.
      return ++this.stamp;
    }
    if (dataVersion !== this.lastDataVersion) {
      this.lastDataVersion = dataVersion;
      this.stamp++;
    }
    return this.stamp;
  }

  get(ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    return this.run('get', () => {
      const row = this.stmt.get.get({ ns, key, now: this.now() });
      return row ? new Uint8Array(row.value) : undefined;
    });
  }

  set(ns: Namespace, key: string, value: Uint8Array, options: SetOptions = {}): Promise<boolean> {
    return this.write('set', () => {
      const params = { ns, key, value: Buffer.from(value), exp: options.expiresAt ?? null, now: this.now() };
      if (options.overwrite === false) return this.stmt.insertIfAbsent.run(params).changes > 0;
      const { now: _now, ...upsert } = params;
      this.stmt.upsert.run(upsert);
      return true;
    });
  }

  delete(ns: Namespace, key: string): Promise<boolean> {
    return this.write('delete', () => {
      const had = this.stmt.delete.run({ ns, key, now: this.now() }).changes > 0;
      this.stmt.deleteAny.run({ ns, key });
      return had;
    });
  }

  list(ns: Namespace, prefix = ''): Promise<string[]> {
    return this.run('list', () => this.stmt.list.all({ ns, prefix, now: this.now() }).map((r) => r.key).sort());
  }

  sweep(ns: Namespace, maxEntries?: number): Promise<number> {
    return this.write('sweep', () => {
      let removed = this.stmt.sweepExpired.run({ ns, now: this.now() }).changes;
      if (maxEntries !== undefined) removed += this.stmt.sweepOldest.run({ ns, max: Math.max(0, Math.floor(maxEntries)) }).changes;
      return removed;
    });
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    if (this.db.open) this.db.close();
  }
}
