/**
 * In-memory `KvStore` for tests and `storage_type = "Memory"`. Not shared, not durable.
 * @module
 */
import type { KvStore, Namespace, SetOptions } from './kv.js';

interface Entry {
  /**
   * The value's bytes as a latin1 string: one flat object in the JS heap rather than an ArrayBuffer
   * with its own off-heap backing store. Many small backing stores (a session per handshake) make V8
   * run major collections for external-memory pressure.
   */
  value: string;
  expiresAt: number | undefined;
  seq: number;
}

export class MemoryStore implements KvStore {
  readonly kind = 'memory';
  private readonly spaces = new Map<Namespace, Map<string, Entry>>();
  private seq = 0;
  private changes = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  private space(ns: Namespace): Map<string, Entry> {
    let s = this.spaces.get(ns);
    if (!s) this.spaces.set(ns, (s = new Map()));
    return s;
  }

  private live(e: Entry | undefined): e is Entry {
    return e !== undefined && (e.expiresAt === undefined || e.expiresAt > this.now());
  }

  async get(ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    const e = this.space(ns).get(key);
    if (!this.live(e)) return undefined;
    // A copy the caller may keep or change; a small one lives in Node's Buffer pool (a view of it).
    const copy = Buffer.from(e.value, 'latin1');
    return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
  }

  /** See `KvStore.changeStamp`: moves with every write, delete or sweep that changed something. */
  changeStamp(): number {
    return this.changes;
  }

  async set(ns: Namespace, key: string, value: Uint8Array, options: SetOptions = {}): Promise<boolean> {
    const s = this.space(ns);
    if (options.overwrite === false && this.live(s.get(key))) return false;
    s.set(key, { value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'), expiresAt: options.expiresAt, seq: ++this.seq });
    this.changes++;
    return true;
  }

  async delete(ns: Namespace, key: string): Promise<boolean> {
    const s = this.space(ns);
    const had = this.live(s.get(key));
    if (s.delete(key)) this.changes++;
    return had;
  }

  async list(ns: Namespace, prefix = ''): Promise<string[]> {
    const out: string[] = [];
    for (const [k, e] of this.space(ns)) if (k.startsWith(prefix) && this.live(e)) out.push(k);
    return out.sort();
  }

  async sweep(ns: Namespace, maxEntries?: number): Promise<number> {
    const s = this.space(ns);
    let removed = 0;
    for (const [k, e] of s) if (!this.live(e)) (s.delete(k), removed++);
    if (maxEntries !== undefined && s.size > maxEntries) {
      const byAge = [...s.entries()].sort((a, b) => a[1].seq - b[1].seq);
      for (const [k] of byAge.slice(0, s.size - maxEntries)) (s.delete(k), removed++);
    }
    if (removed > 0) this.changes++;
    return removed;
  }

  async close(): Promise<void> {}
}
