/**
 * Reference Value Provider Service, built in (reference/trustee.md §4). Registration takes
 * `{version: "0.1.0", type, payload}`; records are stored as upstream stores them
 * (`{version, name, expiration, value}` in namespace `reference_value`). Beyond upstream, an
 * expired record is never handed to a policy: `snapshot()` reports it as expired instead.
 * @module
 */
import {
  MalformedInput,
  Unsupported,
  expectObject,
  expectString,
  fromUtf8,
  optionalString,
  parseJsonText,
  utf8,
  type JsonValue,
} from '../../core/index.js';
import type { KvStore } from '../storage/kv.js';
import { extractSample, type ExtractedValue } from './extractors/sample.js';

export const RVPS_MESSAGE_VERSION = '0.1.0';

export interface ReferenceValueRecord {
  version: string;
  name: string;
  /** `YYYY-MM-DDTHH:MM:SSZ` */
  expiration: string;
  value: JsonValue;
}

export interface RvpsMessage {
  version: string;
  type: string;
  payload: string;
}

type Extractor = (payload: string) => ExtractedValue[];
const EXTRACTORS: Record<string, Extractor> = { sample: extractSample };

/** Parse a registration message. */
export function parseRvpsMessage(input: unknown): RvpsMessage {
  const o = expectObject(input, 'message');
  const version = optionalString(o.version, 'message.version') ?? RVPS_MESSAGE_VERSION;
  if (version !== RVPS_MESSAGE_VERSION) throw new MalformedInput(`message.version: expected ${RVPS_MESSAGE_VERSION}, got ${version}`, { where: 'message.version' });
  return { version, type: expectString(o.type, 'message.type'), payload: expectString(o.payload, 'message.payload') };
}

/** A record is live until its expiration (an unreadable expiration counts as expired). */
function isLive(rec: ReferenceValueRecord, now: number): boolean {
  const exp = Date.parse(rec.expiration);
  return Number.isFinite(exp) && exp > now;
}

/** Upstream's expiration format: RFC 3339 UTC, whole seconds. */
function formatExpiration(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The reference values a policy may use at one instant, and the names withheld because they expired. */
export interface ReferenceValueSnapshot {
  values: ReadonlyMap<string, JsonValue>;
  expired: ReadonlySet<string>;
  /**
   * Present when the snapshot is partial (a remote RVPS that is asked name by name): fetches these
   * names and resolves with a snapshot that also holds them.
   */
  more?: (names: readonly string[]) => Promise<ReferenceValueSnapshot>;
}

export interface RvpsOptions {
  /** How long registered values live (default 12 months, as upstream). */
  lifetimeMs?: number;
  /** How long a snapshot may be reused before re-reading storage (default 1 s; local writes invalidate at once). */
  cacheMs?: number;
}

export class ReferenceValues {
  private readonly lifetimeMs: number;
  private readonly cacheMs: number;
  /** Records read at `at`, and the snapshot derived from them, valid from `derived.from` until the first expiry (`derived.until`). */
  private cache: { at: number; records: ReferenceValueRecord[]; derived?: { snapshot: ReferenceValueSnapshot; from: number; until: number } } | undefined;

  private readonly store: KvStore;

  constructor(store: KvStore, options: RvpsOptions = {}) {
    this.store = store;
    this.lifetimeMs = options.lifetimeMs ?? 365 * 24 * 3600 * 1000;
    this.cacheMs = options.cacheMs ?? 1000;
  }

  /** Register a message; returns the names stored. Throws `Unsupported` for an unknown extractor type. */
  async register(message: RvpsMessage, now: number): Promise<string[]> {
    const extractor = EXTRACTORS[message.type];
    if (!extractor) throw new Unsupported(`reference value type ${JSON.stringify(message.type)} is not supported (sample)`);
    const values = extractor(message.payload);
    const expiration = formatExpiration(now + this.lifetimeMs);
    for (const v of values) {
      const rec: ReferenceValueRecord = { version: RVPS_MESSAGE_VERSION, name: v.name, expiration, value: v.value };
      await this.store.set('reference_value', v.name, utf8(JSON.stringify(rec)));
    }
    this.cache = undefined;
    return values.map((v) => v.name);
  }

  /** The stored record (expired or not), or undefined. */
  async get(name: string): Promise<ReferenceValueRecord | undefined> {
    const raw = await this.store.get('reference_value', name);
    return raw ? parseRecord(raw) : undefined;
  }

  /** The value of `name` if it is live at `now` (what a policy would see), else undefined. */
  async live(name: string, now: number): Promise<JsonValue | undefined> {
    const rec = await this.get(name);
    return rec && isLive(rec, now) ? rec.value : undefined;
  }

  async list(): Promise<string[]> {
    return this.store.list('reference_value');
  }

  async delete(name: string): Promise<boolean> {
    this.cache = undefined;
    return this.store.delete('reference_value', name);
  }

  /**
   * Values live at `now`, plus the names that exist but have expired. The snapshot is shared by the
   * calls that fall in the same cache period and before the next expiry, and must not be changed.
   */
  async snapshot(now: number): Promise<ReferenceValueSnapshot> {
    if (!this.cache || now - this.cache.at > this.cacheMs || now < this.cache.at) {
      const records: ReferenceValueRecord[] = [];
      for (const name of await this.store.list('reference_value')) {
        const raw = await this.store.get('reference_value', name);
        if (raw) records.push(parseRecord(raw));
      }
      this.cache = { at: now, records };
    }
    const c = this.cache;
    if (c.derived && now >= c.derived.from && now < c.derived.until) return c.derived.snapshot;
    const values = new Map<string, JsonValue>();
    const expired = new Set<string>();
    let until = Infinity;
    for (const r of c.records) {
      if (isLive(r, now)) {
        values.set(r.name, r.value);
        until = Math.min(until, Date.parse(r.expiration));
      } else expired.add(r.name);
    }
    c.derived = { snapshot: { values, expired }, from: now, until };
    return c.derived.snapshot;
  }
}

function parseRecord(raw: Uint8Array): ReferenceValueRecord {
  const o = expectObject(parseJsonText(fromUtf8(raw), 'reference value'), 'reference value');
  return {
    version: expectString(o.version, 'reference value.version'),
    name: expectString(o.name, 'reference value.name'),
    expiration: expectString(o.expiration, 'reference value.expiration'),
    value: o.value as JsonValue,
  };
}
