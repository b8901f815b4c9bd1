/**
 * Data keys as they travel in files, KBS resources and environment variables: 32 raw bytes, or
 * text holding 64 hex digits or standard base64 of 32 bytes.
 * @module
 */
import { fromBase64, fromHex } from '../core/index.js';
import { STREAM_KEY_BYTES } from './stream-format.js';

/** The 32 key bytes encoded in `raw`, or `undefined` if it is none of the accepted forms. */
export function parseDataKey(raw: Uint8Array | string): Uint8Array | undefined {
  if (typeof raw !== 'string' && raw.length === STREAM_KEY_BYTES) return raw;
  const text = (typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')).trim();
  for (const decode of [fromHex, fromBase64]) {
    try {
      const k = decode(text);
      if (k.length === STREAM_KEY_BYTES) return k;
    } catch {
      // not this encoding; try the next
    }
  }
  return undefined;
}
