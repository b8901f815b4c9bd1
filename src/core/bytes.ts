/**
 * Byte helpers: concatenation, comparison (constant time for secrets), resizing, readers.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { MalformedInput } from './errors.js';

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Byte equality; constant time in the length of the inputs when lengths match. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Constant-time string equality for secrets (tokens, session ids). */
export function secretEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** Truncate or zero-pad to `size` bytes (upstream `regularize_data` / `Vec::resize`). */
export function resizeBytes(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, size));
  return out;
}

/** True when every byte is zero. */
export function isAllZero(data: Uint8Array): boolean {
  for (const b of data) if (b !== 0) return false;
  return true;
}

/**
 * A bounds-checked cursor over binary input. Every read past the end throws `MalformedInput`
 * naming the structure and offset, so parsers never read garbage.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly what: string;
  offset: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, what: string, offset = 0) {
    this.bytes = bytes;
    this.what = what;
    this.offset = offset;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.bytes.length) {
      throw new MalformedInput(`${this.what}: truncated (need ${n} bytes at offset ${this.offset}, have ${this.remaining})`, {
        where: `${this.what}@${this.offset}`,
      });
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }
  u16le(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u16be(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset, false);
    this.offset += 2;
    return v;
  }
  u32le(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u32be(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, false);
    this.offset += 4;
    return v;
  }
  u64le(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }
  u64be(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, false);
    this.offset += 8;
    return v;
  }
  /** A view (not a copy) of the next `n` bytes. */
  bytesN(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }
}
