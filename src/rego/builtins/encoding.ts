/**
 * Encoding builtins: json.marshal/unmarshal/is_valid, base64, base64url, hex, urlquery.
 * Hex and base64 go through core/encoding (habit 3).
 * @module
 */
import { fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex, utf8 } from '../../core/index.js';
import { evalError } from '../ops.js';
import { fromJson, RSet, type Value } from '../value.js';
import { formatNumber } from './sprintf.js';
import { str } from './args.js';
import type { BuiltinTable } from './types.js';

/** JSON text of a value: object keys sorted, sets as arrays (OPA's json.marshal); big integers exact. */
export function marshal(v: Value): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(marshal).join(',') + ']';
  if (v instanceof RSet) return '[' + v.sorted().map(marshal).join(',') + ']';
  return '{' + v.sortedEntries().map(([k, x]) => JSON.stringify(typeof k === 'string' ? k : marshal(k)) + ':' + marshal(x)).join(',') + '}';
}

function parseJson(name: string, s: string): Value {
  try {
    return fromJson(JSON.parse(s));
  } catch (err) {
    throw evalError(`${name}: ${(err as Error).message}`);
  }
}

function decodeText(name: string, f: () => Uint8Array): string {
  let bytes: Uint8Array;
  try {
    bytes = f();
  } catch (err) {
    throw evalError(`${name}: ${(err as Error).message}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw evalError(`${name}: decoded bytes are not valid UTF-8`);
  }
}

export const encoding: BuiltinTable = {
  'json.marshal': { arity: 1, fn: ([v]) => marshal(v!) },
  'json.unmarshal': { arity: 1, fn: ([s]) => parseJson('json.unmarshal', str('json.unmarshal', s!)) },
  'json.is_valid': {
    arity: 1,
    fn: ([s]) => {
      if (typeof s !== 'string') return false;
      try {
        JSON.parse(s);
        return true;
      } catch {
        return false;
      }
    },
  },
  'base64.encode': { arity: 1, fn: ([s]) => toBase64(utf8(str('base64.encode', s!))) },
  'base64.decode': { arity: 1, fn: ([s]) => decodeText('base64.decode', () => fromBase64(str('base64.decode', s!))) },
  'base64.is_valid': {
    arity: 1,
    fn: ([s]) => {
      if (typeof s !== 'string') return false;
      try {
        fromBase64(s);
        return true;
      } catch {
        return false;
      }
    },
  },
  'base64url.encode': { arity: 1, fn: ([s]) => padB64(toBase64Url(utf8(str('base64url.encode', s!)))) },
  'base64url.encode_no_pad': { arity: 1, fn: ([s]) => toBase64Url(utf8(str('base64url.encode_no_pad', s!))) },
  'base64url.decode': { arity: 1, fn: ([s]) => decodeText('base64url.decode', () => fromBase64Url(str('base64url.decode', s!).replace(/=+$/, ''))) },
  'hex.encode': { arity: 1, fn: ([s]) => toHex(utf8(str('hex.encode', s!))) },
  'hex.decode': { arity: 1, fn: ([s]) => decodeText('hex.decode', () => fromHex(str('hex.decode', s!))) },
  'urlquery.encode': { arity: 1, fn: ([s]) => encodeURIComponent(str('urlquery.encode', s!)).replace(/%20/g, '+') },
  'urlquery.decode': {
    arity: 1,
    fn: ([s]) => {
      try {
        return decodeURIComponent(str('urlquery.decode', s!).replace(/\+/g, ' '));
      } catch {
        throw evalError('urlquery.decode: invalid encoding');
      }
    },
  },
};

function padB64(s: string): string {
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

