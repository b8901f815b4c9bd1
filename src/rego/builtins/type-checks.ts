/**
 * Type predicates (`is_*`) and `type_name`.
 * @module
 */
import { RObject, RSet, typeName, type Value } from '../value.js';
import type { BuiltinTable } from './types.js';

function pred(test: (v: Value) => boolean) {
  return { arity: 1, fn: ([v]: Value[]) => (test(v!) ? true : false) };
}

export const typeChecks: BuiltinTable = {
  is_number: pred((v) => typeof v === 'number' || typeof v === 'bigint'),
  is_string: pred((v) => typeof v === 'string'),
  is_boolean: pred((v) => typeof v === 'boolean'),
  is_array: pred((v) => Array.isArray(v)),
  is_set: pred((v) => v instanceof RSet),
  is_object: pred((v) => v instanceof RObject),
  is_null: pred((v) => v === null),
  type_name: { arity: 1, fn: ([v]) => typeName(v!) },
};
