/**
 * json.patch (RFC 6902 over Rego values, paths as JSON pointers or arrays; sets addressed by
 * member), json.filter and json.remove. A failed patch is undefined, never a partial result.
 * @module
 */
import { evalError } from '../ops.js';
import { equal, RObject, RSet, type Value } from '../value.js';
import { arr, elems, obj } from './args.js';
import type { BuiltinTable } from './types.js';

class PatchFailed extends Error {}
const fail = (): never => {
  throw new PatchFailed();
};

function parsePointer(p: Value): Value[] {
  if (Array.isArray(p)) return p;
  if (typeof p !== 'string') return fail();
  if (p === '') return [];
  if (p[0] !== '/') return fail();
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(key: Value, len: number, allowEnd: boolean): number {
  if (key === '-' && allowEnd) return len;
  if (typeof key === 'string') {
    if (!/^(0|[1-9]\d*)$/.test(key)) return fail();
    key = Number(key);
  }
  if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < 0 || key > (allowEnd ? len : len - 1)) return fail();
  return key;
}

function child(doc: Value, key: Value): Value {
  if (doc instanceof RObject) {
    const v = doc.get(key);
    return v === undefined ? fail() : v;
  }
  if (Array.isArray(doc)) return doc[arrayIndex(key, doc.length, false)]!;
  if (doc instanceof RSet) return doc.has(key) ? key : fail();
  return fail();
}

function getAt(doc: Value | undefined, path: Value[]): Value {
  if (doc === undefined) return fail();
  let cur = doc;
  for (const k of path) cur = child(cur, k);
  return cur;
}

/** Apply `f(container, lastKey)` at `path`, copying the containers on the way. */
function modify(doc: Value, path: Value[], f: (container: Value, key: Value) => Value): Value {
  const [head, ...rest] = path;
  if (rest.length === 0) return f(doc, head!);
  const c = child(doc, head!);
  const next = modify(c, rest, f);
  if (doc instanceof RObject) {
    const o = RObject.fromEntries(doc.entries());
    o.set(head!, next);
    return o;
  }
  if (Array.isArray(doc)) {
    const a = doc.slice();
    a[arrayIndex(head!, doc.length, false)] = next;
    return a;
  }
  const s = new RSet([...(doc as RSet).values()].filter((x) => !equal(x, c)));
  s.add(next);
  return s;
}

function addAt(doc: Value | undefined, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  if (doc === undefined) return fail();
  return modify(doc, path, (c, k) => {
    if (c instanceof RObject) {
      const o = RObject.fromEntries(c.entries());
      o.set(k, value);
      return o;
    }
    if (Array.isArray(c)) {
      const a = c.slice();
      a.splice(arrayIndex(k, c.length, true), 0, value);
      return a;
    }
    if (c instanceof RSet) {
      if (!equal(k, value)) return fail();
      return new RSet([...c.values(), value]);
    }
    return fail();
  });
}

function removeAt(doc: Value | undefined, path: Value[]): Value | undefined {
  if (doc === undefined) return fail();
  if (path.length === 0) return undefined;
  return modify(doc, path, (c, k) => {
    if (c instanceof RObject) {
      if (!c.has(k)) return fail();
      return RObject.fromEntries([...c.entries()].filter(([kk]) => !equal(kk, k)));
    }
    if (Array.isArray(c)) {
      const a = c.slice();
      a.splice(arrayIndex(k, c.length, false), 1);
      return a;
    }
    if (c instanceof RSet) {
      if (!c.has(k)) return fail();
      return new RSet([...c.values()].filter((x) => !equal(x, k)));
    }
    return fail();
  });
}

function isPrefix(a: Value[], b: Value[]): boolean {
  return a.length < b.length && a.every((x, i) => equal(x, b[i]!));
}

export function applyPatch(doc: Value, patches: Value[]): Value | undefined {
  let cur: Value | undefined = doc;
  try {
    for (const p of patches) {
      if (!(p instanceof RObject)) return undefined;
      const op = p.get('op');
      const pathV = p.get('path');
      if (typeof op !== 'string' || pathV === undefined) return undefined;
      const path = parsePointer(pathV);
      const value = p.get('value');
      const fromV = p.get('from');
      switch (op) {
        case 'add':
          cur = addAt(cur, path, value === undefined ? fail() : value);
          break;
        case 'remove':
          cur = removeAt(cur, path);
          break;
        case 'replace': {
          const v = value === undefined ? fail() : value;
          getAt(cur, path);
          if (path.length > 0 && getAt(cur, path.slice(0, -1)) instanceof RSet && !equal(path[path.length - 1]!, v)) return undefined;
          cur = addAt(removeAt(cur, path), path, v);
          break;
        }
        case 'move': {
          const from = parsePointer(fromV === undefined ? fail() : fromV);
          if (isPrefix(from, path)) return undefined;
          const v = getAt(cur, from);
          cur = addAt(removeAt(cur, from), path, v);
          break;
        }
        case 'copy': {
          const from = parsePointer(fromV === undefined ? fail() : fromV);
          cur = addAt(cur, path, getAt(cur, from));
          break;
        }
        case 'test':
          if (!equal(getAt(cur, path), value === undefined ? fail() : value)) return undefined;
          break;
        default:
          return undefined;
      }
    }
  } catch (err) {
    if (err instanceof PatchFailed) return undefined;
    throw err;
  }
  return cur;
}

/** Paths for json.filter/json.remove: "a/b" strings or arrays of keys. */
function jsonPaths(name: string, v: Value): Value[][] {
  return elems(name, v, 2).map((p) => {
    if (typeof p === 'string') return p.replace(/^\//, '').split('/').filter((s) => s !== '');
    if (Array.isArray(p)) return p;
    throw evalError(`${name}: paths must be strings or arrays`);
  });
}

function filterValue(v: Value, paths: Value[][]): Value | undefined {
  if (paths.some((p) => p.length === 0)) return v;
  if (v instanceof RObject) {
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const sub = paths.filter((p) => equal(p[0]!, k) || (typeof k !== 'string' && String(k) === p[0])).map((p) => p.slice(1));
      if (sub.length === 0) continue;
      const f = filterValue(x, sub);
      if (f !== undefined) out.set(k, f);
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const sub = paths.filter((p) => p[0] === String(i) || p[0] === i).map((p) => p.slice(1));
      if (sub.length === 0) return;
      const f = filterValue(x, sub);
      if (f !== undefined) out.push(f);
    });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.values()) {
      const sub = paths.filter((p) => equal(p[0]!, x)).map((p) => p.slice(1));
      if (sub.length === 0) continue;
      const f = filterValue(x, sub);
      if (f !== undefined) out.add(f);
    }
    return out;
  }
  return undefined;
}

function removeValue(v: Value, paths: Value[][]): Value | undefined {
  if (paths.some((p) => p.length === 0)) return undefined;
  const matches = (k: Value, p: Value[]) => equal(p[0]!, k) || String(p[0]) === String(k);
  if (v instanceof RObject) {
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const sub = paths.filter((p) => matches(k, p)).map((p) => p.slice(1));
      if (sub.length === 0) out.set(k, x);
      else {
        const r = removeValue(x, sub);
        if (r !== undefined) out.set(k, r);
      }
    }
    return out;
  }
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const sub = paths.filter((p) => matches(i, p)).map((p) => p.slice(1));
      if (sub.length === 0) out.push(x);
      else {
        const r = removeValue(x, sub);
        if (r !== undefined) out.push(r);
      }
    });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v.values()) {
      const sub = paths.filter((p) => equal(p[0]!, x)).map((p) => p.slice(1));
      if (sub.length === 0) out.add(x);
      else {
        const r = removeValue(x, sub);
        if (r !== undefined) out.add(r);
      }
    }
    return out;
  }
  return v;
}

export const jsonPatch: BuiltinTable = {
  'json.patch': { arity: 2, fn: ([doc, patches]) => applyPatch(doc!, arr('json.patch', patches!, 2)) },
  'json.filter': { arity: 2, fn: ([o, paths]) => filterValue(obj('json.filter', o!), jsonPaths('json.filter', paths!)) },
  'json.remove': { arity: 2, fn: ([o, paths]) => removeValue(obj('json.remove', o!), jsonPaths('json.remove', paths!)) },
};
