/**
 * The coco streaming encryption format, version 1 (docs/formats.md): a self-describing header
 * authenticated with HMAC-SHA256, then AES-256-GCM chunks whose nonces carry the chunk index and a
 * final-chunk flag, so chunks cannot be reordered, dropped, duplicated or truncated undetected.
 * This file holds the layout, the header codec and the key schedule; the streams are beside it.
 * @module
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import {
  ByteReader,
  LimitExceeded,
  MalformedInput,
  Unsupported,
  VerificationFailed,
  bytesEqual,
  concatBytes,
  fromUtf8,
  utf8,
} from '../core/index.js';

/** ASCII "COCOSTRM": the first 8 bytes of every encrypted file. */
export const STREAM_MAGIC: Uint8Array = utf8('COCOSTRM');
export const STREAM_VERSION = 1;
/** Suite 1: HKDF-SHA256 key schedule, HMAC-SHA256 header tag, AES-256-GCM chunks. */
export const STREAM_SUITE_AES256GCM = 1;
export const STREAM_KEY_BYTES = 32;
export const STREAM_SALT_BYTES = 32;
export const STREAM_TAG_BYTES = 16;
export const STREAM_HEADER_TAG_BYTES = 32;
export const STREAM_MAX_KEY_ID_BYTES = 1024;
export const STREAM_MIN_CHUNK_SIZE = 16;
export const STREAM_MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** 1 MiB: large enough that per-chunk costs vanish next to AES-GCM, small enough for constant memory. */
export const STREAM_DEFAULT_CHUNK_SIZE = 1024 * 1024;

// Header layout (all integers big-endian): magic 0..8, version 8, suite 9, chunk size 10..14,
// salt 14..46, key-id length 46..48, key id, then the 32-byte header tag.
const FIXED_HEADER_BYTES = 48;
const HKDF_INFO = utf8('coco-stream v1 keys');

/** The parsed, authenticated-on-open header. */
export interface StreamHeader {
  chunkSize: number;
  salt: Uint8Array;
  /** Which key encrypted the file, e.g. `kbs:///default/key/dataset-a` (public metadata). */
  keyId: string;
  /** The exact header bytes including the tag. */
  bytes: Uint8Array;
}

/** Per-file keys derived from the data key and the header salt. */
export interface StreamKeys {
  chunkKey: Buffer;
  headerKey: Buffer;
}

/** HKDF-SHA256(ikm = data key, salt = header salt, info = "coco-stream v1 keys") → 64 bytes. */
export function deriveStreamKeys(key: Uint8Array, salt: Uint8Array): StreamKeys {
  checkKey(key);
  const okm = Buffer.from(hkdfSync('sha256', key, salt, HKDF_INFO, 64));
  return { chunkKey: okm.subarray(0, 32), headerKey: okm.subarray(32, 64) };
}

/** A 32-byte data key must be exactly that; anything else is a caller bug (`TypeError`). */
export function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== STREAM_KEY_BYTES) {
    throw new TypeError(`data key must be ${STREAM_KEY_BYTES} bytes`);
  }
}

/** Throws `MalformedInput` unless `n` is an allowed chunk size. */
export function checkChunkSize(n: number, where = 'chunk size'): void {
  if (!Number.isInteger(n) || n < STREAM_MIN_CHUNK_SIZE || n > STREAM_MAX_CHUNK_SIZE) {
    throw new MalformedInput(`${where} must be an integer in [${STREAM_MIN_CHUNK_SIZE}, ${STREAM_MAX_CHUNK_SIZE}], got ${n}`, { where });
  }
}

/** Build and tag a header. `salt` is random unless given (test vectors). */
export function buildStreamHeader(key: Uint8Array, opts: { keyId?: string; chunkSize?: number; salt?: Uint8Array } = {}): { header: StreamHeader; keys: StreamKeys } {
  const chunkSize = opts.chunkSize ?? STREAM_DEFAULT_CHUNK_SIZE;
  checkChunkSize(chunkSize);
  const salt = opts.salt ?? new Uint8Array(randomBytes(STREAM_SALT_BYTES));
  if (salt.length !== STREAM_SALT_BYTES) throw new TypeError(`salt must be ${STREAM_SALT_BYTES} bytes`);
  const keyIdBytes = utf8(opts.keyId ?? '');
  if (keyIdBytes.length > STREAM_MAX_KEY_ID_BYTES) throw new MalformedInput(`key id longer than ${STREAM_MAX_KEY_ID_BYTES} bytes`, { where: 'key id' });
  const fixed = new Uint8Array(FIXED_HEADER_BYTES);
  const view = new DataView(fixed.buffer);
  fixed.set(STREAM_MAGIC, 0);
  fixed[8] = STREAM_VERSION;
  fixed[9] = STREAM_SUITE_AES256GCM;
  view.setUint32(10, chunkSize);
  fixed.set(salt, 14);
  view.setUint16(46, keyIdBytes.length);
  const body = concatBytes(fixed, keyIdBytes);
  const keys = deriveStreamKeys(key, salt);
  const bytes = concatBytes(body, headerTag(keys.headerKey, body));
  return { header: { chunkSize, salt, keyId: opts.keyId ?? '', bytes }, keys };
}

/**
 * Length of the header at the start of `prefix`, or `undefined` if more bytes are needed to know.
 * Throws `MalformedInput` on a wrong magic as soon as 8 bytes are available.
 */
export function streamHeaderLength(prefix: Uint8Array): number | undefined {
  if (prefix.length >= STREAM_MAGIC.length && !bytesEqual(prefix.subarray(0, STREAM_MAGIC.length), STREAM_MAGIC)) {
    throw new MalformedInput('not a coco encrypted stream (bad magic)', { where: 'header.magic' });
  }
  if (prefix.length < FIXED_HEADER_BYTES) return undefined;
  const n = (prefix[46]! << 8) | prefix[47]!;
  if (n > STREAM_MAX_KEY_ID_BYTES) throw new MalformedInput(`key id length ${n} exceeds ${STREAM_MAX_KEY_ID_BYTES}`, { where: 'header.key-id' });
  return FIXED_HEADER_BYTES + n + STREAM_HEADER_TAG_BYTES;
}

/**
 * Parse a header without authenticating it (to learn the key id before fetching the key).
 * Throws `MalformedInput` (bad magic, truncation, bad UTF-8), `Unsupported` (version, suite) or
 * `LimitExceeded` (chunk size above `maxChunkSize`).
 */
export function parseStreamHeader(bytes: Uint8Array, maxChunkSize = STREAM_MAX_CHUNK_SIZE): StreamHeader {
  const len = streamHeaderLength(bytes);
  if (len === undefined || bytes.length < len) throw new MalformedInput('encrypted stream: truncated header', { where: 'header' });
  const r = new ByteReader(bytes.subarray(0, len), 'stream header');
  r.skip(STREAM_MAGIC.length);
  const version = r.u8();
  if (version !== STREAM_VERSION) throw new Unsupported(`encrypted stream version ${version} is not supported (expected ${STREAM_VERSION})`);
  const suite = r.u8();
  if (suite !== STREAM_SUITE_AES256GCM) throw new Unsupported(`encrypted stream suite ${suite} is not supported`);
  const chunkSize = r.u32be();
  checkChunkSize(chunkSize, 'header.chunk-size');
  if (chunkSize > maxChunkSize) throw new LimitExceeded(`chunk size ${chunkSize} exceeds this reader's limit ${maxChunkSize}`);
  const salt = r.bytesN(STREAM_SALT_BYTES);
  const keyId = fromUtf8(r.bytesN(r.u16be()), 'header.key-id');
  return { chunkSize, salt, keyId, bytes: bytes.subarray(0, len) };
}

/** Authenticate a parsed header with the data key; returns the per-file keys. */
export function openStreamHeader(header: StreamHeader, key: Uint8Array): StreamKeys {
  const keys = deriveStreamKeys(key, header.salt);
  const split = header.bytes.length - STREAM_HEADER_TAG_BYTES;
  const expected = headerTag(keys.headerKey, header.bytes.subarray(0, split));
  if (!bytesEqual(expected, header.bytes.subarray(split))) {
    throw new VerificationFailed('data.header.tag', 'encrypted stream header failed authentication: wrong key, or the header was altered');
  }
  return keys;
}

/** 12-byte GCM nonce for chunk `index`: 3 zero bytes ‖ u64 BE index ‖ final flag (0x01 last, else 0x00). */
export function chunkNonce(index: number, final: boolean, out: Buffer = Buffer.alloc(12)): Buffer {
  out.fill(0, 0, 3);
  out.writeBigUInt64BE(BigInt(index), 3);
  out[11] = final ? 1 : 0;
  return out;
}

/** Total encrypted size of a plaintext of `n` bytes (every stream ends with a final chunk, possibly empty). */
export function encryptedSize(n: number, chunkSize: number, keyIdBytes = 0): number {
  const chunks = Math.floor(n / chunkSize) + 1;
  return FIXED_HEADER_BYTES + keyIdBytes + STREAM_HEADER_TAG_BYTES + n + chunks * STREAM_TAG_BYTES;
}

function headerTag(headerKey: Uint8Array, body: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', headerKey).update(body).digest());
}
