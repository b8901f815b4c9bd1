/**
 * A small bounded cache (least recently used out first) for work that depends only on immutable
 * bytes: parsed certificate chains whose signatures verified, and collateral documents whose
 * signatures verified. Time-dependent checks (validity windows, CRL freshness) are never cached.
 * @module
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;
  constructor(max = 256) {
    this.max = max;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }
}
