/**
 * Data-owner formats: the coco streaming encryption format (docs/formats.md). Pure: no file or
 * network I/O; callers pass iterables of bytes and write the results where they choose.
 * @module
 */
export {
  STREAM_MAGIC,
  STREAM_VERSION,
  STREAM_KEY_BYTES,
  STREAM_TAG_BYTES,
  STREAM_MIN_CHUNK_SIZE,
  STREAM_MAX_CHUNK_SIZE,
  STREAM_DEFAULT_CHUNK_SIZE,
  parseStreamHeader,
  streamHeaderLength,
  openStreamHeader,
  encryptedSize,
} from './stream-format.js';
export type { StreamHeader } from './stream-format.js';
export { StreamEncryptor, encryptStream, encryptBytes } from './encrypt-stream.js';
export type { EncryptOptions } from './encrypt-stream.js';
export { decryptStream, decryptBytes } from './decrypt-stream.js';
export type { DecryptOptions, KeySource } from './decrypt-stream.js';
export { buildInitData, aaTomlFor, cdhTomlFor, tomlString, tomlMultiline } from './initdata-build.js';
export type { InitDataSettings } from './initdata-build.js';
export { parseDataKey } from './data-key.js';
