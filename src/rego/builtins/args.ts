/**
 * Argument checks shared by builtins: each throws a rego type error naming the builtin.
 * @module
 */
import { evalError } from '../ops.js';
import { isNumber, RObject, RSet, typeName, type Value } from '../value.js';

export function str(name: string, v: Value, i = 1): string {
  if (typeof v !== 'string') throw evalError(`${name}: operand ${i} must be string but got ${typeName(v)}`);
  return v;
}

export function num(name: string, v: Value, i = 1): number | bigint {
  if (!isNumber(v)) throw evalError(`${name}: operand ${i} must be number but got ${typeName(v)}`);
  return v;
}

export function int(name: string, v: Value, i = 1): number {
  const n = num(name, v, i);
  if (typeof n === 'bigint') return Number(n);
  if (!Number.isInteger(n)) throw evalError(`${name}: operand ${i} must be integer but got ${n}`);
  return n;
}

export function arr(name: string, v: Value, i = 1): Value[] {
  if (!Array.isArray(v)) throw evalError(`${name}: operand ${i} must be array but got ${typeName(v)}`);
  return v;
}

export function obj(name: string, v: Value, i = 1): RObject {
  if (!(v instanceof RObject)) throw evalError(`${name}: operand ${i} must be object but got ${typeName(v)}`);
  return v;
}

export function set(name: string, v: Value, i = 1): RSet {
  if (!(v instanceof RSet)) throw evalError(`${name}: operand ${i} must be set but got ${typeName(v)}`);
  return v;
}

export function bool(name: string, v: Value, i = 1): boolean {
  if (typeof v !== 'boolean') throw evalError(`${name}: operand ${i} must be boolean but got ${typeName(v)}`);
  return v;
}

/** Elements of an array or set (in OPA order for sets). */
export function elems(name: string, v: Value, i = 1): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  throw evalError(`${name}: operand ${i} must be one of {array, set} but got ${typeName(v)}`);
}
