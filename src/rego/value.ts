/**
 * Rego values: JSON scalars (numbers as JS numbers, or bigints when an integer is not exactly
 * representable), arrays, objects with any keys, and sets. Ordering follows OPA
 * (null < boolean < number < string < array < object < set).
 * @module
 */
import { MalformedInput } from '../core/index.js';

export type Value = null | boolean | number | bigint | string | Value[] | RSet | RObject;

const composite = new WeakMap<object, string>();

/** Injective string key of a value (used by sets and objects). */
export function keyOf(v: Value): string {
  if (typeof v === 'string') return v.charCodeAt(0) === 1 ? '\u0001s' + v : v;
  return '\u0001' + serial(v);
}

function serial(v: Value): string {
  if (v === null) return 'n';
  if (v === true) return 't';
  if (v === false) return 'f';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return '#' + numKey(v);
  if (typeof v === 'bigint') return '#' + v.toString();
  const cached = composite.get(v);
  if (cached !== undefined) return cached;
  let s: string;
  if (Array.isArray(v)) s = '[' + v.map(serial).join(',') + ']';
  else if (v instanceof RSet) s = '<' + v.sorted().map(serial).join(',') + '>';
  else s = '{' + v.sortedEntries().map(([k, x]) => serial(k) + ':' + serial(x)).join(',') + '}';
  composite.set(v, s);
  return s;
}

function numKey(n: number): string {
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && Number.isFinite(n)) return BigInt(n).toString();
  return String(n);
}

/** A Rego set. Treat as immutable once shared. */
export class RSet {
  readonly map = new Map<string, Value>();
  private cache: Value[] | undefined;
  constructor(items?: Iterable<Value>) {
    if (items) for (const v of items) this.add(v);
  }
  add(v: Value): void {
    const k = keyOf(v);
    if (!this.map.has(k)) {
      this.map.set(k, v);
      this.cache = undefined;
    }
  }
  has(v: Value): boolean {
    return this.map.has(keyOf(v));
  }
  get size(): number {
    return this.map.size;
  }
  values(): IterableIterator<Value> {
    return this.map.values();
  }
  /** Elements in OPA order. */
  sorted(): Value[] {
    if (!this.cache) this.cache = [...this.map.values()].sort(compare);
    return this.cache;
  }
}

/** A Rego object (keys may be any value). Treat as immutable once shared. */
export class RObject {
  readonly map = new Map<string, [Value, Value]>();
  private cache: [Value, Value][] | undefined;
  static fromEntries(entries: Iterable<[Value, Value]>): RObject {
    const o = new RObject();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }
  set(k: Value, v: Value): void {
    this.map.set(keyOf(k), [k, v]);
    this.cache = undefined;
  }
  get(k: Value): Value | undefined {
    return this.map.get(keyOf(k))?.[1];
  }
  has(k: Value): boolean {
    return this.map.has(keyOf(k));
  }
  get size(): number {
    return this.map.size;
  }
  entries(): IterableIterator<[Value, Value]> {
    return this.map.values();
  }
  keys(): Value[] {
    return [...this.map.values()].map((e) => e[0]);
  }
  /** Entries sorted by key in OPA order. */
  sortedEntries(): [Value, Value][] {
    if (!this.cache) this.cache = [...this.map.values()].sort((a, b) => compare(a[0], b[0]));
    return this.cache;
  }
}

/** Type rank in OPA's order. */
export function typeRank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    default:
      return Array.isArray(v) ? 4 : v instanceof RObject ? 5 : 6;
  }
}

/** Total order over values, as OPA sorts sets and object keys. */
export function compare(a: Value, b: Value): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 3:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 4:
      return compareSeq(a as Value[], b as Value[]);
    case 5: {
      const ea = (a as RObject).sortedEntries();
      const eb = (b as RObject).sortedEntries();
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        const c = compare(ea[i]![0], eb[i]![0]) || compare(ea[i]![1], eb[i]![1]);
        if (c) return c;
      }
      return ea.length - eb.length;
    }
    default:
      return compareSeq((a as RSet).sorted(), (b as RSet).sorted());
  }
}

function compareSeq(a: Value[], b: Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i]!, b[i]!);
    if (c) return c;
  }
  return a.length - b.length;
}

/** Structural equality (1 == 1.0). */
export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta === 'string' || ta === 'boolean' || a === null || b === null) return false;
  if ((ta === 'number' || ta === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    // eslint-disable-next-line eqeqeq
    return (a as number) == (b as number);
  }
  return typeRank(a) === typeRank(b) && compare(a, b) === 0;
}

export function isNumber(v: Value | undefined): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** OPA type name of a value. */
export function typeName(v: Value): string {
  return ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'][typeRank(v)]!;
}

/** Input and data documents nested deeper than this are rejected. */
export const MAX_DOCUMENT_DEPTH = 1000;

/** Convert parsed JSON (or JSON-like JS data) into a Rego value. Throws MalformedInput when nested too deeply. */
export function fromJson(x: unknown, depth = 0): Value {
  if (x === null || typeof x === 'string' || typeof x === 'boolean' || typeof x === 'bigint') return x;
  if (typeof x === 'number') return x;
  if (depth >= MAX_DOCUMENT_DEPTH) throw new MalformedInput(`rego: document nested deeper than ${MAX_DOCUMENT_DEPTH}`);
  if (Array.isArray(x)) return x.map((v) => fromJson(v, depth + 1));
  if (x instanceof RSet || x instanceof RObject) return x;
  if (x instanceof Set) return new RSet([...x].map((v) => fromJson(v, depth + 1)));
  if (typeof x === 'object') {
    const o = new RObject();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      if (v !== undefined) o.set(k, fromJson(v, depth + 1));
    }
    return o;
  }
  throw new TypeError(`cannot convert ${typeof x} to a Rego value`);
}

/** Convert a Rego value into JSON data: sets become sorted arrays, object keys sorted. */
export function toJson(v: Value): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return v;
  }
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof RSet) return v.sorted().map(toJson);
  const out: Record<string, unknown> = {};
  for (const [k, x] of v.sortedEntries()) out[typeof k === 'string' ? k : JSON.stringify(toJson(k))] = toJson(x);
  return out;
}

/** Text form used by print, sprintf %v and error messages (JSON, sets as `{...}`). */
export function formatValue(v: Value, emptySet = 'set()'): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  const f = (x: Value) => formatValue(x, emptySet);
  if (Array.isArray(v)) return '[' + v.map(f).join(', ') + ']';
  if (v instanceof RSet) return v.size === 0 ? emptySet : '{' + v.sorted().map(f).join(', ') + '}';
  return '{' + v.sortedEntries().map(([k, x]) => f(k) + ': ' + f(x)).join(', ') + '}';
}
