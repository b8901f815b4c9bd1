/**
 * The one file that imports the TOML library (STYLE habit 12). Errors become `MalformedInput`.
 * @module
 */
import { parse, stringify } from 'smol-toml';
import { MalformedInput } from './errors.js';

/** Parse TOML text into a plain object; throws `MalformedInput` with line/column from the parser. */
export function parseToml(text: string, where = 'toml'): Record<string, unknown> {
  try {
    return toPlain(parse(text)) as Record<string, unknown>;
  } catch (cause) {
    throw new MalformedInput(`${where}: invalid TOML (${(cause as Error).message.split('\n')[0]})`, { where, cause });
  }
}

/** Serialise a plain object as TOML. */
export function stringifyToml(value: Record<string, unknown>): string {
  return stringify(value);
}

// smol-toml returns Date-like objects for datetimes; JSON consumers want strings.
function toPlain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    if (typeof (v as { toISOString?: unknown }).toISOString === 'function') return String(v);
    const out: Record<string, unknown> = {};
    // defineProperty, so that a key such as `__proto__` stays an own entry
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: toPlain(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (typeof v === 'bigint') return Number(v);
  return v;
}
