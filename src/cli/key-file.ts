/**
 * Reading a 32-byte data key from a file (raw, hex or base64; see `parseDataKey`).
 * Key material never reaches logs or error messages.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../core/index.js';
import { parseDataKey } from '../data/index.js';

/** Load a 32-byte key; throws `ConfigError` naming the file (never the content) if it is not one. */
export async function readKeyFile(path: string): Promise<Uint8Array> {
  const key = parseDataKey(new Uint8Array(await readFile(path)));
  if (!key) throw new ConfigError(`${path}: not a 32-byte key (raw, 64 hex digits or base64)`, { key: 'key' });
  return key;
}
