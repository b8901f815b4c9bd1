/**
 * CSPRNG bytes for hot paths (nonces, session ids, JWE content keys and IVs). Each `randomBytes`
 * call into OpenSSL costs a few microseconds; this draws from a pool filled by one
 * `randomFillSync` call per 8 KiB instead. Every pooled byte is handed out once, then the pool
 * region is zeroed, and the caller gets its own copy.
 * @module
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 8192;
/** Larger requests bypass the pool. */
const MAX_POOLED = 256;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

/** `n` fresh random bytes from the CSPRNG, never shared with another caller. */
export function secureRandomBytes(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`secureRandomBytes: bad length ${n}`);
  if (n > MAX_POOLED) return new Uint8Array(randomBytes(n));
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.slice(offset, offset + n);
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
