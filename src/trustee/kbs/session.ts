/**
 * RCAR sessions (reference/trustee.md §1.9): namespace `kbs_protocol_session`, key = session id,
 * value = upstream's externally tagged JSON (`{"Authed":{...}}` / `{"Attested":{...}}`) so a shared
 * store could be read by either implementation. Expiry is checked on every read.
 * @module
 */
import { Unauthorized, fromUtf8, secureRandomBytes, toHex } from '../../core/index.js';
import type { AuthRequest, Challenge, Tee } from '../../protocol/index.js';
import type { KvStore } from '../storage/kv.js';
import { withCheck } from '../check-tag.js';

export const SESSION_COOKIE = 'kbs-session-id';
const SESSION_ID_RE = /^[0-9a-f]{32}$/;
/** Expired sessions stay readable this long so the audit can say "expired" rather than "unknown". */
const EXPIRED_GRACE_MS = 10 * 60 * 1000;

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

export class SessionStore {
  private readonly store: KvStore;
  private readonly lifetimeMs: number;
  constructor(store: KvStore, lifetimeMs: number) {
    this.store = store;
    this.lifetimeMs = lifetimeMs;
  }

  /** Create and store an `Authed` session. */
  async create(request: AuthRequest, challenge: Challenge, now: number): Promise<AuthedSession> {
    const s: AuthedSession = { state: 'authed', id: newSessionId(), request, challenge, expiresAt: now + this.lifetimeMs };
    await this.store.set('kbs_protocol_session', s.id, encode(s), { expiresAt: s.expiresAt + EXPIRED_GRACE_MS });
    return s;
  }

  /**
   * Load a live session or throw `Unauthorized` tagged `kbs.session.missing` / `kbs.session.expired`.
   * An expired session is deleted.
   */
  async require(id: string | undefined, now: number): Promise<Session> {
    if (!isSessionId(id)) throw withCheck(new Unauthorized('no kbs-session-id cookie'), 'kbs.session.missing');
    const raw = await this.store.get('kbs_protocol_session', id);
    if (!raw) throw withCheck(new Unauthorized('session not found or expired'), 'kbs.session.missing');
    const s = decode(raw);
    if (!(s.expiresAt > now)) {
      await this.store.delete('kbs_protocol_session', id);
      throw withCheck(new Unauthorized('session expired'), 'kbs.session.expired');
    }
    return s;
  }

  /** A live attested session, or undefined (for resource GETs that may fall back to a bearer token). */
  async findAttested(id: string | undefined, now: number): Promise<AttestedSession | undefined> {
    if (!isSessionId(id)) return undefined;
    const raw = await this.store.get('kbs_protocol_session', id);
    if (!raw) return undefined;
    const s = decode(raw);
    return s.state === 'attested' && s.expiresAt > now ? s : undefined;
  }

  /** Mark a session attested, keeping its expiry. */
  async attested(s: AuthedSession, token: string): Promise<AttestedSession> {
    const out: AttestedSession = { state: 'attested', id: s.id, tee: s.request.tee, token, expiresAt: s.expiresAt };
    await this.store.set('kbs_protocol_session', s.id, encode(out), { expiresAt: s.expiresAt + EXPIRED_GRACE_MS });
    return out;
  }
}
