/**
 * A strict reader over one table of parsed TOML: typed getters that name the dotted key on error,
 * and `done()` that rejects every key not read (upstream parses with `deny_unknown_fields`).
 * @module
 */
import { ConfigError } from '../../core/index.js';

export class Section {
  readonly path: string;
  private readonly obj: Record<string, unknown>;
  private readonly seen = new Set<string>();

  constructor(obj: Record<string, unknown>, path = '') {
    this.obj = obj;
    this.path = path;
  }

  key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  has(k: string): boolean {
    return this.obj[k] !== undefined;
  }

  private fail(k: string, what: string): never {
    throw new ConfigError(`${this.key(k)}: expected ${what}, got ${JSON.stringify(this.obj[k])}`, { key: this.key(k) });
  }

  raw(k: string): unknown {
    this.seen.add(k);
    return this.obj[k];
  }

  /** `secret`: for PINs, API keys, passwords — a value of the wrong type is not echoed in the error. */
  optString(k: string, options: { secret?: boolean } = {}): string | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      if (options.secret) throw new ConfigError(`${this.key(k)}: expected a string (in quotes), got a ${Array.isArray(v) ? 'list' : typeof v}`, { key: this.key(k) });
      this.fail(k, 'a string');
    }
    return v;
  }

  string(k: string, def: string): string {
    return this.optString(k) ?? def;
  }

  /** A string that must be given and not empty; `context` ends the message (e.g. `with type = "intel_ta"`). */
  requiredString(k: string, context: string, options: { secret?: boolean } = {}): string {
    const v = this.optString(k, options);
    if (v === undefined || v === '') throw new ConfigError(`${this.key(k)} is required ${context}`, { key: this.key(k) });
    return v;
  }

  optBool(k: string): boolean | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(k, 'true or false');
    return v;
  }

  bool(k: string, def: boolean): boolean {
    return this.optBool(k) ?? def;
  }

  optInt(k: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(k, `an integer in [${min}, ${max}]`);
    return v;
  }

  int(k: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    return this.optInt(k, min, max) ?? def;
  }

  stringArray(k: string, def: string[] = []): string[] {
    const v = this.raw(k);
    if (v === undefined) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(k, 'an array of strings');
    return v as string[];
  }

  /** One of `choices` compared case-insensitively, with `-`/`_` ignored (serde aliases). */
  oneOf<T extends string>(k: string, choices: Record<string, T>, def?: T): T {
    const v = this.optString(k);
    if (v === undefined) {
      if (def === undefined) throw new ConfigError(`${this.key(k)} is required`, { key: this.key(k) });
      return def;
    }
    const norm = v.toLowerCase().replace(/[-_]/g, '');
    const hit = Object.entries(choices).find(([name]) => name.toLowerCase().replace(/[-_]/g, '') === norm);
    if (!hit) throw new ConfigError(`${this.key(k)}: unknown value ${JSON.stringify(v)} (expected one of ${Object.keys(choices).join(', ')})`, { key: this.key(k) });
    return hit[1];
  }

  /** A table taken as-is (its keys are checked by whoever uses it). */
  optTable(k: string): Record<string, unknown> | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(k, 'a table');
    return v as Record<string, unknown>;
  }

  /** Mark every key as read (for a table whose contents are refused as a whole). */
  skipRest(): void {
    for (const k of Object.keys(this.obj)) this.seen.add(k);
  }

  optSection(k: string): Section | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(k, 'a table');
    return new Section(v as Record<string, unknown>, this.key(k));
  }

  section(k: string): Section {
    return this.optSection(k) ?? new Section({}, this.key(k));
  }

  sections(k: string): Section[] {
    const v = this.raw(k);
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) this.fail(k, 'an array of tables');
    return (v as Record<string, unknown>[]).map((x, i) => new Section(x, `${this.key(k)}[${i}]`));
  }

  /** Throws `ConfigError` naming the first key that no getter read. */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.seen.has(k)) throw new ConfigError(`unknown key ${this.key(k)}`, { key: this.key(k) });
    }
  }
}
