/**
 * Aggregates: count, sum, product, max, min, sort.
 * @module
 */
import { arith, evalError } from '../ops.js';
import { compare, RObject, RSet, typeName, type Value } from '../value.js';
import { elems, num } from './args.js';
import type { BuiltinTable } from './types.js';

function collection(name: string, v: Value): Value[] {
  return elems(name, v);
}

export const aggregates: BuiltinTable = {
  count: {
    arity: 1,
    fn: ([v]) => {
      if (typeof v === 'string') return [...v].length;
      if (Array.isArray(v)) return v.length;
      if (v instanceof RSet || v instanceof RObject) return v.size;
      throw evalError(`count: operand 1 must be one of {array, object, set, string} but got ${typeName(v!)}`);
    },
  },
  sum: { arity: 1, fn: ([v]) => elems('sum', v!).reduce<Value>((acc, x) => arith('+', acc, num('sum', x)), 0) },
  product: { arity: 1, fn: ([v]) => elems('product', v!).reduce<Value>((acc, x) => arith('*', acc, num('product', x)), 1) },
  max: {
    arity: 1,
    fn: ([v]) => {
      const xs = collection('max', v!);
      return xs.length === 0 ? undefined : xs.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
    },
  },
  min: {
    arity: 1,
    fn: ([v]) => {
      const xs = collection('min', v!);
      return xs.length === 0 ? undefined : xs.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
    },
  },
  sort: { arity: 1, fn: ([v]) => [...elems('sort', v!)].sort(compare) },
};
