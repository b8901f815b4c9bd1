/**
 * Digests by upstream algorithm name (`sha256`, `sha384`, `sha512`, with `sha-256`-style aliases).
 * @module
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { Unsupported } from './errors.js';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

const ALIASES: Record<string, HashAlgorithm> = {
  sha256: 'sha256',
  'sha-256': 'sha256',
  sha384: 'sha384',
  'sha-384': 'sha384',
  sha512: 'sha512',
  'sha-512': 'sha512',
};

/** Normalise an algorithm name; throws `Unsupported` for anything else (e.g. `sm3`). */
export function parseHashAlgorithm(name: string): HashAlgorithm {
  const alg = typeof name === 'string' ? ALIASES[name.toLowerCase()] : undefined;
  if (!alg) throw new Unsupported(`unsupported hash algorithm: ${String(name)}`);
  return alg;
}

/** Digest length in bytes. */
export function digestLength(alg: HashAlgorithm): number {
  return alg === 'sha256' ? 32 : alg === 'sha384' ? 48 : 64;
}

/** node:crypto's one-shot `hash` (Node 20.12 and later): no Hash object per digest. */
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array | string, encoding: 'buffer') => Buffer }).hash;

/** Hash bytes or a UTF-8 string. */
export function digest(alg: HashAlgorithm, data: Uint8Array | string): Uint8Array {
  const out = oneShot ? oneShot(alg, data, 'buffer') : createHash(alg).update(data).digest();
  return new Uint8Array(out);
}

export const sha256 = (data: Uint8Array | string): Uint8Array => digest('sha256', data);
export const sha384 = (data: Uint8Array | string): Uint8Array => digest('sha384', data);
export const sha512 = (data: Uint8Array | string): Uint8Array => digest('sha512', data);
