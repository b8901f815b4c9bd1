/**
 * Small typed readers for untrusted JSON (STYLE habit 3): each returns the typed value or throws
 * `MalformedInput` naming the path that was wrong.
 * @module
 */
import { MalformedInput } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Parse JSON text; throws `MalformedInput` with the parser's message. */
export function parseJsonText(text: string, where = 'body'): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new MalformedInput(`${where}: invalid JSON (${(cause as Error).message})`, { where, cause });
  }
}

export function expectObject(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MalformedInput(`${where}: expected an object`, { where });
  return v as Record<string, unknown>;
}

export function expectString(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new MalformedInput(`${where}: expected a string`, { where });
  return v;
}

export function optionalString(v: unknown, where: string): string | undefined {
  return v === undefined || v === null ? undefined : expectString(v, where);
}

export function expectArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new MalformedInput(`${where}: expected an array`, { where });
  return v;
}

export function expectNumber(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MalformedInput(`${where}: expected a number`, { where });
  return v;
}

export function expectBoolean(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new MalformedInput(`${where}: expected a boolean`, { where });
  return v;
}
