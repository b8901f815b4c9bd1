/**
 * Operators on values: arithmetic with exact big integers, set algebra, comparisons,
 * membership and collection indexing/iteration.
 * @module
 */
import { MalformedInput } from '../core/index.js';
import { compare, equal, isNumber, RObject, RSet, typeName, type Value } from './value.js';

/** An evaluation-time type or domain error (OPA "eval_type_error" / "eval_builtin_error"). */
export function evalError(msg: string): MalformedInput {
  return new MalformedInput(`rego eval error: ${msg}`);
}

function isInt(v: number | bigint): boolean {
  return typeof v === 'bigint' || Number.isInteger(v);
}

/** Normalise a bigint back to a number when it is a safe integer. */
export function normInt(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

function big(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** Arithmetic `+ - * / %` as OPA: exact for integers, floats otherwise. */
export function arith(op: string, a: Value, b: Value): Value {
  if (op === '-' && a instanceof RSet && b instanceof RSet) return new RSet([...a.values()].filter((x) => !b.has(x)));
  if (!isNumber(a) || !isNumber(b)) throw evalError(`operator ${op}: operands must be numbers, got ${typeName(a)} and ${typeName(b)}`);
  const ints = isInt(a) && isInt(b);
  switch (op) {
    case '+':
    case '-':
    case '*': {
      if (ints) {
        const r = op === '+' ? Number(a) + Number(b) : op === '-' ? Number(a) - Number(b) : Number(a) * Number(b);
        if (Number.isSafeInteger(r)) return r;
        const x = big(a);
        const y = big(b);
        return normInt(op === '+' ? x + y : op === '-' ? x - y : x * y);
      }
      const x = Number(a);
      const y = Number(b);
      return op === '+' ? x + y : op === '-' ? x - y : x * y;
    }
    case '/': {
      if (Number(b) === 0) throw evalError('divide by zero');
      if (ints && (typeof a === 'bigint' || typeof b === 'bigint')) {
        const x = big(a);
        const y = big(b);
        if (x % y === 0n) return normInt(x / y);
      }
      return Number(a) / Number(b);
    }
    case '%': {
      if (!ints || (typeof a === 'number' && !Number.isSafeInteger(a)) || (typeof b === 'number' && !Number.isSafeInteger(b))) {
        throw evalError('modulo on floating-point number');
      }
      if (Number(b) === 0) throw evalError('modulo by zero');
      if (typeof a === 'number' && typeof b === 'number') return a % b === 0 ? 0 : a % b;
      return normInt(big(a) % big(b));
    }
  }
  throw new TypeError(`unknown operator ${op}`);
}

/** Set union `|` and intersection `&`. */
export function setOp(op: '|' | '&', a: Value, b: Value): Value {
  if (!(a instanceof RSet) || !(b instanceof RSet)) throw evalError(`operator ${op}: operands must be sets, got ${typeName(a)} and ${typeName(b)}`);
  if (op === '|') return new RSet([...a.values(), ...b.values()]);
  return new RSet([...a.values()].filter((x) => b.has(x)));
}

/** Comparison operators: equality is structural; ordering is OPA's total order. */
export function relation(op: string, a: Value, b: Value): boolean {
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case '<':
      return compare(a, b) < 0;
    case '<=':
      return compare(a, b) <= 0;
    case '>':
      return compare(a, b) > 0;
    default:
      return compare(a, b) >= 0;
  }
}

/** `coll[key]` or undefined. */
export function indexValue(coll: Value, key: Value): Value | undefined {
  if (coll instanceof RObject) return coll.get(key);
  if (Array.isArray(coll)) {
    if (typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < coll.length) return coll[key];
    if (typeof key === 'bigint') return undefined;
    return undefined;
  }
  if (coll instanceof RSet) return coll.has(key) ? key : undefined;
  return undefined;
}

/**
 * Calls `f(key, value)` for each member, objects and sets in sorted order (as regorus iterates,
 * so prints and first solutions are deterministic); stops when `f` returns true.
 */
export function iterate(coll: Value, f: (k: Value, v: Value) => boolean): boolean {
  if (Array.isArray(coll)) {
    for (let i = 0; i < coll.length; i++) if (f(i, coll[i]!)) return true;
  } else if (coll instanceof RObject) {
    for (const [k, v] of coll.sortedEntries()) if (f(k, v)) return true;
  } else if (coll instanceof RSet) {
    for (const v of coll.sorted()) if (f(v, v)) return true;
  }
  return false;
}

/** `x in coll` / `k, x in coll`. */
export function member(coll: Value, value: Value, key?: Value): boolean {
  if (key !== undefined) {
    const got = indexValue(coll, key);
    return got !== undefined && equal(got, value);
  }
  if (coll instanceof RSet) return coll.has(value);
  if (Array.isArray(coll)) return coll.some((x) => equal(x, value));
  if (coll instanceof RObject) {
    for (const [, v] of coll.entries()) if (equal(v, value)) return true;
  }
  return false;
}
