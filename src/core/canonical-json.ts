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
      let out: string;
      if (Array.isArray(value)) {
        out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + write(value[i], depth + 1);
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj);
      keys.sort(); // default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires
      out = '{';
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + write(v, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new MalformedInput(`value of type ${typeof value} cannot be canonicalized`);
  }
}
