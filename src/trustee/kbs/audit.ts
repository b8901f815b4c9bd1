/**
 * Audit records: every failed auth/attest/resource request (and every attestation and release)
 * leaves one, naming the exact check that decided it. Stored in the `audit` namespace, newest
 * first, bounded by `maxEntries`.
 * @module
 */
import { FifoMap, fromUtf8, utf8 } from '../../core/index.js';
import type { ClaimExplanation } from '../as/explain.js';
import type { KvStore } from '../storage/kv.js';
import type { TokenSummary } from './audit-explain.js';

export type AuditRoute = 'auth' | 'attest' | 'resource' | 'admin';
export type AuditOutcome = 'ok' | 'denied' | 'error';

export interface AuditRecord {
  time: string;
  requestId: string;
  route: AuditRoute;
  outcome: AuditOutcome;
  /** HTTP status sent. */
  status: number;
  /** The check that decided the request, e.g. `kbs.nonce`, `sample.report_data`, `kbs.resource.policy`. */
  check: string;
  detail: string;
  tee?: string;
  /** First 8 hex digits of the session id (enough to correlate, not enough to use). */
  session?: string;
  resource?: string;
  admin?: string;
  /** Notes such as expired reference values that were withheld from the policy. */
  notes?: string[];
  /**
   * Why: per lowered trust claim of an attestation (`route: attest`), or the failing expression of
   * the resource policy (`check: kbs.resource.policy`).
   */
  explain?: ClaimExplanation[];
  /** Attest records: worst `ear.status` of the token issued. */
  earStatus?: string;
  /** Attest records: `sha256(token)` prefix, matched by `token.id` of resource records. */
  tokenId?: string;
  /** Resource records: the token presented (status, trust vector summary, originating attestation). */
  token?: TokenSummary;
}

/** Attestations remembered per process to link a later resource refusal to its attest request. */
const RECENT_ATTESTATIONS = 4096;

const MAX_DETAIL = 512;

export interface AuditQuery {
  limit?: number;
  /** `failure` matches `denied` and `error`. */
  outcome?: AuditOutcome | 'failure';
  route?: AuditRoute;
}

export class AuditLog {
  private seq = 0;
  private readonly recent = new FifoMap<string, { requestId: string; session?: string }>(RECENT_ATTESTATIONS);
  private writes = 0;
  private readonly store: KvStore;
  private readonly maxEntries: number;
  constructor(store: KvStore, maxEntries = 100_000) {
    this.store = store;
    this.maxEntries = maxEntries;
  }

  /** Store one record. Audit failures never fail the request they describe. */
  async record(rec: AuditRecord): Promise<void> {
    // Details can quote request content (paths, field names): keep records small.
    if (rec.detail.length > MAX_DETAIL) rec = { ...rec, detail: `${rec.detail.slice(0, MAX_DETAIL)}…` };
    if (rec.resource !== undefined && rec.resource.length > MAX_DETAIL) rec = { ...rec, resource: rec.resource.slice(0, MAX_DETAIL) };
    const ms = Date.parse(rec.time);
    const key = `${String(ms).padStart(15, '0')}-${String(++this.seq % 1e6).padStart(6, '0')}-${rec.requestId}`;
    try {
      await this.store.set('audit', key, utf8(JSON.stringify(rec)));
      if (++this.writes % 1000 === 0) await this.store.sweep('audit', this.maxEntries);
    } catch {
      // Storage trouble is reported by the storage health check; the request outcome stands.
    }
  }

  /** Remember which attest request produced `token` (bounded, in memory; keyed by the JWS signature). */
  noteAttestation(token: string, from: { requestId: string; session?: string }): void {
    // A copy of the signature segment: V8 makes a long slice a view that keeps the whole token alive.
    const key = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'latin1').toString('latin1');
    this.recent.set(key, from); // the oldest goes when full
  }

  /** The attest request that produced `token`, if this process still remembers it. */
  attestationOf(token: string): { requestId: string; session?: string } | undefined {
    return this.recent.get(token.slice(token.lastIndexOf('.') + 1));
  }

  /** Newest records first, filtered by outcome/route, at most `limit` (default 100, max 1000). */
  async list(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const keys = await this.store.list('audit');
    const out: AuditRecord[] = [];
    for (let i = keys.length - 1; i >= 0 && out.length < limit; i--) {
      const raw = await this.store.get('audit', keys[i]!);
      if (!raw) continue;
      const rec = JSON.parse(fromUtf8(raw)) as AuditRecord;
      if (query.outcome === 'failure' ? rec.outcome === 'ok' : query.outcome && rec.outcome !== query.outcome) continue;
      if (query.route && rec.route !== query.route) continue;
      out.push(rec);
    }
    return out;
  }
}
