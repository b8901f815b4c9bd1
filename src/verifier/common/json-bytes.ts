/**
 * Byte strings written as JSON arrays of integers (serde's default for `Vec<u8>` and `[u8; N]`),
 * as SNP and Azure v0 evidence carry them.
 * @module
 */
import { MalformedInput, expectArray } from '../../core/index.js';

/** A JSON array of byte values; `len` when the length is fixed. @throws MalformedInput */
export function jsonByteArray(v: unknown, where: string, len?: number): Uint8Array {
  const a = expectArray(v, where);
  if (len !== undefined && a.length !== len) throw new MalformedInput(`${where}: expected ${len} bytes, got ${a.length}`, { where });
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const b = a[i];
    // Hot path (an SNP report has ~1,000 of these): one type test and an integer range test.
    if (typeof b !== 'number' || (b & 0xff) !== b) throw new MalformedInput(`${where}: expected byte values 0..255`, { where });
    out[i] = b;
  }
  return out;
}
