/**
 * Hex and base64 codecs: the only place where bytes become text and back (STYLE habit 3).
 * Decoders are strict: they throw `MalformedInput` on characters outside the alphabet.
 * @module
 */
import { MalformedInput } from './errors.js';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64_NOPAD_RE = /^[A-Za-z0-9+/]*$/;
const B64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Decode hex (either case); throws `MalformedInput` on odd length or a non-hex character. */
export function fromHex(text: string, where?: string): Uint8Array {
  if (typeof text !== 'string' || !HEX_RE.test(text)) throw new MalformedInput('invalid hex string', { where });
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decode standard base64. Padding is required unless `lenient` (then missing padding is accepted,
 * as some upstream producers omit it).
 */
export function fromBase64(text: string, where?: string, lenient = false): Uint8Array {
  if (typeof text !== 'string') throw new MalformedInput('base64 value is not a string', { where });
  const ok = B64_RE.test(text) || (lenient && B64_NOPAD_RE.test(text) && text.length % 4 !== 1);
  if (!ok) throw new MalformedInput('invalid base64 string', { where });
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** base64url without padding (RFC 7515 §2). */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decode base64url; trailing `=` padding is tolerated (serde_with emits it). */
export function fromBase64Url(text: string, where?: string): Uint8Array {
  if (typeof text !== 'string' || !B64URL_RE.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new MalformedInput('invalid base64url string', { where });
  }
  return new Uint8Array(Buffer.from(text.replace(/=+$/, ''), 'base64url'));
}

/** UTF-8 encode. */
export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

// One decoder for every call: without `stream` each decode starts afresh, and a decoder per call can
// allocate a native converter that the garbage collector must then track.
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 decode; throws `MalformedInput` on invalid sequences. */
export function fromUtf8(bytes: Uint8Array, where?: string): string {
  try {
    return UTF8_DECODER.decode(bytes);
  } catch (cause) {
    throw new MalformedInput('invalid UTF-8', { where, cause });
  }
}
