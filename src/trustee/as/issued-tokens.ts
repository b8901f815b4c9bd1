/**
 * The tokens this process has signed, remembered by their exact text until they expire.
 * A token presented for a resource whose text is byte for byte one we signed is authentic by that
 * fact alone, so the token verifier can skip the ECDSA verification for it (about 45 µs of P-256 work
 * on every resource release that follows an attestation). Any other token — signed by another
 * replica, before a restart, or altered in a single byte — is not found and takes the full signature
 * check. Expiry (`exp`, `nbf`) is checked on every use either way.
 * @module
 */

/**
 * Entries kept at most, the oldest going first: 8 Ki tokens of a few KiB each are tens of MiB at
 * most, and cover the usual pattern (resources fetched right after attesting) at thousands of
 * attestations per second. A forgotten token is simply verified in full.
 */
const DEFAULT_MAX_ENTRIES = 8_192;

/** The text after the last `.` of a compact JWS (the whole string when there is none). */
const signatureOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);

export class IssuedTokens {
  /**
   * Signature segment → the whole token and its expiry (epoch seconds), in signing order. The short
   * signature is the map key (cheap to hash); a hit counts only when the whole text is equal too.
   */
  private readonly bySignature = new Map<string, { token: string; exp: number }>();
  private readonly maxEntries: number;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.maxEntries = maxEntries;
  }

  /** Remember a token we signed; `expiresAt` is its `exp` (epoch seconds). */
  add(token: string, expiresAt: number): void {
    const map = this.bySignature;
    map.set(signatureOf(token), { token, exp: expiresAt });
    if (map.size > this.maxEntries) map.delete(map.keys().next().value!);
  }

  /** True when `token` is exactly a token we signed that has not expired at `nowSeconds`. */
  has(token: string, nowSeconds: number): boolean {
    const sig = signatureOf(token);
    const hit = this.bySignature.get(sig);
    if (hit === undefined || hit.token !== token) return false;
    if (hit.exp < nowSeconds) {
      this.bySignature.delete(sig);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.bySignature.size;
  }
}
