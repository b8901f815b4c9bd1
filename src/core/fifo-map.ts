/**
 * A bounded map that remembers insertion order and gives up its oldest entries first, for the
 * in-memory caches that live at the request rate (sessions, issued tokens).
 *
 * Why not one `Map` with `map.delete(map.keys().next().value)`: V8 leaves a hole where an entry was
 * deleted and rebuilds the table only when the holes run out, so (1) finding the oldest entry walks
 * every hole before it, a cost that grows with each deletion (about 0.3 ns a hole; at 100,000 entries
 * tens of µs per insertion before each rebuild), and (2) the rebuild copies every live entry while the
 * event loop waits (5–15 ms at 100,000 entries on this project's 2-core VM). Here the entries are
 * spread over generations of at most a sixteenth of the bound: the newest takes insertions, each is
 * emptied from its front through an index into its insertion list, and an emptied generation is
 * dropped whole. No `Map` ever has holes at its front or is rebuilt at more than a sixteenth of the
 * bound. Lookups try the newest generation first. bench/session-table.bench.ts measures the difference.
 * @module
 */

/** The number of generations a full map spreads its entries over. */
const GENERATIONS = 16;

interface Slot<K, V> {
  readonly key: K;
  value: V;
}

/** Entries inserted one after another: found by key, and given up in `order` from `head` on. */
interface Generation<K, V> {
  readonly byKey: Map<K, Slot<K, V>>;
  readonly order: Array<Slot<K, V> | undefined>;
  head: number;
}

export class FifoMap<K, V> {
  /** Oldest first. */
  private readonly generations: Array<Generation<K, V>> = [];
  private readonly perGeneration: number;
  private count = 0;
  readonly maxEntries: number;

  /** A map of at most `maxEntries` entries (a positive integer). */
  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.maxEntries = maxEntries;
    this.perGeneration = Math.ceil(maxEntries / GENERATIONS);
  }

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    return this.find(key)?.slot.value;
  }

  has(key: K): boolean {
    return this.find(key) !== undefined;
  }

  /**
   * Set `key` to `value`. A key already present keeps its place in the order; a new one goes to the
   * back, and when the map is full the oldest entry is given up first (and returned).
   */
  set(key: K, value: V): { readonly key: K; readonly value: V } | undefined {
    const found = this.find(key);
    if (found) {
      found.slot.value = value;
      return undefined;
    }
    const dropped = this.count >= this.maxEntries ? this.shift() : undefined;
    let newest = this.generations[this.generations.length - 1];
    if (newest === undefined || newest.order.length >= this.perGeneration) {
      newest = { byKey: new Map(), order: [], head: 0 };
      this.generations.push(newest);
    }
    const slot: Slot<K, V> = { key, value };
    newest.byKey.set(key, slot);
    newest.order.push(slot);
    this.count++;
    return dropped;
  }

  /** Remove `key`; true when it was present. */
  delete(key: K): boolean {
    const found = this.find(key);
    if (!found) return false;
    found.generation.byKey.delete(key);
    this.count--;
    return true;
  }

  /** The oldest entry, or undefined when the map is empty. */
  first(): { readonly key: K; readonly value: V } | undefined {
    const generations = this.generations;
    while (generations.length > 0) {
      const oldest = generations[0]!;
      if (oldest.head === oldest.order.length) {
        generations.shift();
        continue;
      }
      const slot = oldest.order[oldest.head]!;
      // A slot whose key was deleted (and perhaps set again, as a newer slot) is passed over.
      if (oldest.byKey.get(slot.key) === slot) return slot;
      oldest.order[oldest.head++] = undefined;
    }
    return undefined;
  }

  /** Remove and return the oldest entry, or undefined when the map is empty. */
  shift(): { readonly key: K; readonly value: V } | undefined {
    const slot = this.first();
    if (slot === undefined) return undefined;
    const oldest = this.generations[0]!;
    oldest.byKey.delete(slot.key);
    oldest.order[oldest.head++] = undefined;
    this.count--;
    return slot;
  }

  private find(key: K): { generation: Generation<K, V>; slot: Slot<K, V> } | undefined {
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const generation = this.generations[i]!;
      const slot = generation.byKey.get(key);
      if (slot !== undefined) return { generation, slot };
    }
    return undefined;
  }
}
