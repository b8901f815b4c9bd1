/**
 * Object builtins: object.get, keys, remove, union, union_n, subset, filter; json.filter and
 * json.remove live in json-paths.ts.
 * @module
 */
import { evalError } from '../ops.js';
import { equal, RObject, RSet, typeName, type Value } from '../value.js';
import { arr, elems, obj } from './args.js';
import type { BuiltinTable } from './types.js';

/** Deep merge as OPA's object.union: b wins, nested objects merge. */
export function mergeObjects(a: RObject, b: RObject): RObject {
  const out = new RObject();
  for (const [k, v] of a.entries()) out.set(k, v);
  for (const [k, v] of b.entries()) {
    const prev = out.get(k);
    out.set(k, prev instanceof RObject && v instanceof RObject ? mergeObjects(prev, v) : v);
  }
  return out;
}

function keySet(name: string, v: Value): Value[] {
  if (v instanceof RObject) return v.keys();
  return elems(name, v, 2);
}

function isSubset(sup: Value, sub: Value): boolean {
  if (sup instanceof RObject && sub instanceof RObject) {
    for (const [k, v] of sub.entries()) {
      const s = sup.get(k);
      if (s === undefined) return false;
      if (s instanceof RObject && v instanceof RObject) {
        if (!isSubset(s, v)) return false;
      } else if (!equal(s, v)) return false;
    }
    return true;
  }
  if (sup instanceof RSet && sub instanceof RSet) return [...sub.values()].every((x) => sup.has(x));
  if (Array.isArray(sup) && sub instanceof RSet) return [...sub.values()].every((x) => sup.some((y) => equal(x, y)));
  if (Array.isArray(sup) && Array.isArray(sub)) {
    if (sub.length === 0) return true;
    for (let i = 0; i + sub.length <= sup.length; i++) if (sub.every((x, j) => equal(x, sup[i + j]!))) return true;
    return false;
  }
  throw evalError(`object.subset: both arguments must be objects, sets or arrays, got ${typeName(sup)} and ${typeName(sub)}`);
}

export const objects: BuiltinTable = {
  'object.get': {
    arity: 3,
    fn: ([o, k, d]) => {
      if (!(o instanceof RObject) && !Array.isArray(o) && !(o instanceof RSet)) throw evalError(`object.get: operand 1 must be object but got ${typeName(o!)}`);
      const path = Array.isArray(k) ? k : [k!];
      let cur: Value | undefined = o;
      for (const seg of path) {
        if (cur instanceof RObject) cur = cur.get(seg);
        else if (Array.isArray(cur) && typeof seg === 'number' && Number.isInteger(seg)) cur = cur[seg];
        else if (cur instanceof RSet) cur = cur.has(seg) ? seg : undefined;
        else cur = undefined;
        if (cur === undefined) return d;
      }
      return cur;
    },
  },
  'object.keys': { arity: 1, fn: ([o]) => new RSet(obj('object.keys', o!).keys()) },
  'object.remove': {
    arity: 2,
    fn: ([o, ks]) => {
      const src = obj('object.remove', o!);
      const drop = new RSet(keySet('object.remove', ks!));
      const out = new RObject();
      for (const [k, v] of src.entries()) if (!drop.has(k)) out.set(k, v);
      return out;
    },
  },
  'object.filter': {
    arity: 2,
    fn: ([o, ks]) => {
      const src = obj('object.filter', o!);
      const keep = keySet('object.filter', ks!);
      const out = new RObject();
      for (const k of keep) {
        const v = src.get(k);
        if (v !== undefined) out.set(k, v);
      }
      return out;
    },
  },
  'object.union': { arity: 2, fn: ([a, b]) => mergeObjects(obj('object.union', a!), obj('object.union', b!, 2)) },
  'object.union_n': {
    arity: 1,
    fn: ([xs]) => arr('object.union_n', xs!).reduce<RObject>((acc, x) => mergeObjects(acc, obj('object.union_n', x)), new RObject()),
  },
  'object.subset': { arity: 2, fn: ([a, b]) => isSubset(a!, b!) },
};
