/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): keys sorted by UTF-16 code units, no whitespace,
 * numbers in ECMAScript shortest form, strings escaped as JSON.stringify does. Used for the KBS
 * runtime-data binding (reference/trustee.md §1.4).
 * @module
 */
import { MalformedInput } from './errors.js';

/** Canonical JSON text of a JSON value. Throws `MalformedInput` on non-JSON values. */
export function canonicalize(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > 256) throw new MalformedInput('JSON nested too deeply for canonicalization');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new MalformedInput('non-finite number cannot be canonicalized');
      return JSON.stringify(value); // ECMAScript Number::toString is what RFC 8785 §3.2.2.3 requires
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => write(v, depth + 1)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
      keys.sort(); // default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new MalformedInput(`value of type ${typeof value} cannot be canonicalized`);
  }
}
