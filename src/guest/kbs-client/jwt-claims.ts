/**
 * Reading `exp`/`nbf` from an attestation token's payload without checking its signature — as
 * upstream's client does, only to decide when to re-attest (KBS checks the signature).
 * @module
 */
import { fromBase64Url, fromUtf8 } from '../../core/index.js';

/** True when the token's `exp`/`nbf` (seconds) say it is usable at `now`; unreadable tokens are not. */
export function tokenUsableAt(token: string, now: Date): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const claims = JSON.parse(fromUtf8(fromBase64Url(parts[1]!))) as { exp?: unknown; nbf?: unknown };
    const t = now.getTime() / 1000;
    if (typeof claims.exp === 'number' && t >= claims.exp) return false;
    if (typeof claims.nbf === 'number' && t < claims.nbf) return false;
    return true;
  } catch {
    return false;
  }
}
