/**
 * Reading a 32-byte data key from a file: raw bytes, or text holding 64 hex digits or base64.
 * Key material never reaches logs or error messages.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, fromBase64, fromHex } from '../core/index.js';

/** Load a 32-byte key; throws `ConfigError` naming the file (never the content) if it is not one. */
export async function readKeyFile(path: string): Promise<Uint8Array> {
  const raw = new Uint8Array(await readFile(path));
  const key = parseKeyBytes(raw);
  if (!key) throw new ConfigError(`${path}: not a 32-byte key (raw, 64 hex digits or base64)`, { key: 'key' });
  return key;
}

/** The 32 key bytes in `raw`, or undefined. */
export function parseKeyBytes(raw: Uint8Array): Uint8Array | undefined {
  if (raw.length === 32) return raw;
  const text = Buffer.from(raw).toString('utf8').trim();
  for (const decode of [fromHex, fromBase64]) {
    try {
      const k = decode(text);
      if (k.length === 32) return k;
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}
