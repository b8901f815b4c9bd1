/**
 * RCAR sessions (reference/trustee.md §1.9). Two homes:
 * - a shared `KvStore` (SQLite, PostgreSQL): namespace `kbs_protocol_session`, key = session id,
 *   value = upstream's externally tagged JSON (`{"Authed":{...}}` / `{"Attested":{...}}`), so a
 *   shared store could be read by either implementation and replicas need no sticky sessions;
 * - this process's memory (`session_storage_type = "Memory"`, the embedded default): the session
 *   objects themselves in a bounded map, with no encoding on the way in or out.
 * Expiry is checked on every read either way.
 * @module
 */
import { FifoMap, Unauthorized, fromUtf8, secureRandomBytes, toHex } from '../../core/index.js';
import type { AuthRequest, Challenge, Tee } from '../../protocol/index.js';
import type { KvStore } from '../storage/kv.js';
import { MemoryStore } from '../storage/memory.js';
import { withCheck } from '../check-tag.js';

export const SESSION_COOKIE = 'kbs-session-id';
const SESSION_ID_RE = /^[0-9a-f]{32}$/;
/** Expired sessions stay readable this long so the audit can say "expired" rather than "unknown". */
const EXPIRED_GRACE_MS = 10 * 60 * 1000;
/** Sessions kept in memory at most by default (`kbs.session_max_entries`). */
export const DEFAULT_SESSION_MAX_ENTRIES = 100_000;

export interface AuthedSession {
  state: 'authed';
  id: string;
  request: AuthRequest;
  challenge: Challenge;
  expiresAt: number;
}

export interface AttestedSession {
  state: 'attested';
  id: string;
  tee: Tee;
  token: string;
  expiresAt: number;
}

export type Session = AuthedSession | AttestedSession;

/** A new session id: 16 random bytes as 32 lowercase hex digits (UUIDv4 "simple" width). */
export function newSessionId(): string {
  return toHex(secureRandomBytes(16));
}

/** True when `id` has the shape of a session id. */
export function isSessionId(id: string | undefined): id is string {
  return id !== undefined && SESSION_ID_RE.test(id);
}

/** Where sessions are kept. `keepUntil` is when a session is forgotten (its expiry plus the grace period). */
export interface SessionTable {
  put(s: Session, keepUntil: number, now: number): Promise<void>;
  /** The session, or undefined when unknown or forgotten at `now`. */
  get(id: string, now: number): Promise<Session | undefined>;
  delete(id: string): Promise<void>;
}

function encode(s: Session): Uint8Array {
  const timeout = new Date(s.expiresAt).toISOString();
  const body =
    s.state === 'authed'
      ? { Authed: { request: s.request, challenge: s.challenge, id: s.id, timeout } }
      : { Attested: { token: s.token, id: s.id, timeout, tee: s.tee } };
  // A pooled Buffer: no backing store of its own for a value that is copied into the store anyway.
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function decode(raw: Uint8Array): Session {
  const doc = JSON.parse(fromUtf8(raw)) as Record<string, Record<string, unknown>>;
  if (doc.Authed) {
    const a = doc.Authed;
    return {
      state: 'authed',
      id: a.id as string,
      request: a.request as AuthRequest,
      challenge: a.challenge as Challenge,
      expiresAt: Date.parse(a.timeout as string),
    };
  }
  const t = doc.Attested!;
  return { state: 'attested', id: t.id as string, token: t.token as string, tee: t.tee as Tee, expiresAt: Date.parse(t.timeout as string) };
}

/** Sessions encoded in a `KvStore` namespace (shared by every process on that store). */
export class KvSessionTable implements SessionTable {
  private readonly store: KvStore;
  constructor(store: KvStore) {
    this.store = store;
  }
  async put(s: Session, keepUntil: number): Promise<void> {
    await this.store.set('kbs_protocol_session', s.id, encode(s), { expiresAt: keepUntil });
  }
  async get(id: string): Promise<Session | undefined> {
    const raw = await this.store.get('kbs_protocol_session', id);
    return raw ? decode(raw) : undefined;
  }
  async delete(id: string): Promise<void> {
    await this.store.delete('kbs_protocol_session', id);
  }
}

/**
 * Session objects in this process, at most `maxEntries` (the oldest go first). Entries are kept in
 * creation order — a session keeps its place when it becomes attested — and every session lives as
 * long, so forgotten ones are always at the front and are dropped as new ones arrive: the table
 * needs no sweeper. A `FifoMap`, whose oldest entry is cheap to find and drop at any size.
 */
export class MemorySessionTable implements SessionTable {
  private readonly entries: FifoMap<string, { session: Session; keepUntil: number }>;
  constructor(maxEntries = DEFAULT_SESSION_MAX_ENTRIES) {
    this.entries = new FifoMap(maxEntries);
  }
  /** Sessions held. */
  get size(): number {
    return this.entries.size;
  }
  async put(s: Session, keepUntil: number, now: number): Promise<void> {
    const entry = this.entries.get(s.id);
    if (entry) {
      entry.session = s;
      entry.keepUntil = keepUntil;
      return;
    }
    // Drop the forgotten sessions at the front (at most a few per new one); `set` drops the oldest if full.
    for (let first = this.entries.first(); first && !(first.value.keepUntil > now); first = this.entries.first()) this.entries.shift();
    this.entries.set(s.id, { session: s, keepUntil });
  }
  async get(id: string, now: number): Promise<Session | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (!(e.keepUntil > now)) {
      this.entries.delete(id);
      return undefined;
    }
    return e.session;
  }
  async delete(id: string): Promise<void> {
    this.entries.delete(id);
  }
}

/** The table for a session store: objects in memory for a `MemoryStore`, encoded otherwise. */
export function sessionTableFor(store: KvStore, maxEntries?: number): SessionTable {
  return store instanceof MemoryStore ? new MemorySessionTable(maxEntries) : new KvSessionTable(store);
}

export class SessionStore {
  private readonly table: SessionTable;
  private readonly lifetimeMs: number;
  constructor(table: SessionTable, lifetimeMs: number) {
    this.table = table;
    this.lifetimeMs = lifetimeMs;
  }

  /** Create and store an `Authed` session. */
  async create(request: AuthRequest, challenge: Challenge, now: number): Promise<AuthedSession> {
    const s: AuthedSession = { state: 'authed', id: newSessionId(), request, challenge, expiresAt: now + this.lifetimeMs };
    await this.table.put(s, s.expiresAt + EXPIRED_GRACE_MS, now);
    return s;
  }

  /**
   * Load a live session or throw `Unauthorized` tagged `kbs.session.missing` / `kbs.session.expired`.
   * An expired session is deleted.
   */
  async require(id: string | undefined, now: number): Promise<Session> {
    if (!isSessionId(id)) throw withCheck(new Unauthorized('no kbs-session-id cookie'), 'kbs.session.missing');
    const s = await this.table.get(id, now);
    if (!s) throw withCheck(new Unauthorized('session not found or expired'), 'kbs.session.missing');
    if (!(s.expiresAt > now)) {
      await this.table.delete(id);
      throw withCheck(new Unauthorized('session expired'), 'kbs.session.expired');
    }
    return s;
  }

  /** A live attested session, or undefined (for resource GETs that may fall back to a bearer token). */
  async findAttested(id: string | undefined, now: number): Promise<AttestedSession | undefined> {
    if (!isSessionId(id)) return undefined;
    const s = await this.table.get(id, now);
    return s && s.state === 'attested' && s.expiresAt > now ? s : undefined;
  }

  /** Mark a session attested, keeping its expiry. */
  async attested(s: AuthedSession, token: string, now: number): Promise<AttestedSession> {
    const out: AttestedSession = { state: 'attested', id: s.id, tee: s.request.tee, token, expiresAt: s.expiresAt };
    await this.table.put(out, s.expiresAt + EXPIRED_GRACE_MS, now);
    return out;
  }
}
