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

export class IssuedTokens {
  /**
   * Token text → expiry in epoch seconds, in signing order. Keyed by the whole text (a Map hashes and
   * compares all of it), which costs less per lookup than a SHA-256 of it would.
   */
  private readonly byText = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.maxEntries = maxEntries;
  }

  /** Remember a token we signed; `expiresAt` is its `exp` (epoch seconds). */
  add(token: string, expiresAt: number): void {
    const map = this.byText;
    map.set(token, expiresAt);
    if (map.size > this.maxEntries) map.delete(map.keys().next().value!);
  }

  /** True when `token` is exactly a token we signed that has not expired at `nowSeconds`. */
  has(token: string, nowSeconds: number): boolean {
    const exp = this.byText.get(token);
    if (exp === undefined) return false;
    if (exp < nowSeconds) {
      this.byText.delete(token);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.byText.size;
  }
}
