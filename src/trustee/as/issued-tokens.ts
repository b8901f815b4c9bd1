/**
 * The tokens this process has signed, remembered (by a digest of their exact text) until they expire.
 * A token presented for a resource whose text is byte for byte one we signed is authentic by that
 * fact alone, so the token verifier can skip the ECDSA verification for it (about 45 µs of P-256 work
 * on every resource release that follows an attestation). Any other token — signed by another
 * replica, before a restart, or altered in a single byte — is not found and takes the full signature
 * check. Expiry (`exp`, `nbf`) is checked on every use either way. A token is known by the SHA-256 of
 * its whole text, so equal digests mean equal texts.
 * @module
 */
import { FifoMap, sha256, toBase64Url } from '../../core/index.js';
import type { PreparedRelease } from '../crypto-thread.js';

/**
 * Entries kept at most, the oldest going first: 8 Ki entries of about a hundred bytes each, covering
 * the usual pattern (resources fetched right after attesting) at thousands of attestations per
 * second. A forgotten token is simply verified in full.
 */
const DEFAULT_MAX_ENTRIES = 8_192;

/**
 * SHA-256 of the whole token text, as the map key. Keeping the digest rather than the text keeps the
 * memo small and leaves the token itself free to die young: a memo of token strings held 8 Ki tokens
 * of ~1.7 KiB each in the old generation and retired them at the signing rate, which is what made V8's
 * major collections (and their pauses) frequent under load.
 */
export const digestOf = (token: string) => toBase64Url(sha256(token)); // one-shot: no Hash object (and weak handle) per lookup

/**
 * The newest tokens are also kept whole with the claims they were signed from, so that the resource
 * request that usually follows an attestation within milliseconds needs neither a digest nor a parse
 * of the token. A small number, a few times the requests a loaded server has in flight: these entries
 * should die young, not fill the old generation with claims that nobody will ask for again.
 */
const DEFAULT_RECENT_ENTRIES = 256;

/**
 * How long (ms) an entry keeps its claims after signing. The claims are a tree of a few KB; kept for
 * the ~128 ms that 256 entries last at 2,000 attestations/s, many of them outlived two young-generation
 * collections (about one per 100 ms at that rate) and were promoted, to die in the old generation:
 * ~600 B per attestation, over half of what a handshake promoted, and so over half of what set the pace
 * of major collections (measured by ablation, docs/kbs-api.md). A resource request that comes later
 * than this still skips the signature check (`has`) and still gets its prepared release; it only parses
 * the token's payload (~10 µs).
 */
export const RECENT_CLAIMS_MS = 20;

interface RecentEntry {
  readonly token: string;
  claims: Readonly<Record<string, unknown>> | undefined;
  readonly exp: number;
  release?: PreparedRelease | undefined;
  /** When it was added, by the memo's clock (ms). */
  readonly at: number;
}

const signatureOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);

export class IssuedTokens {
  /** SHA-256 of the whole token → its expiry (epoch seconds), in signing order. */
  private readonly byDigest: FifoMap<string, number>;
  /** Signature segment → the whole token and its claims, for the newest tokens, in signing order. */
  private readonly recent: FifoMap<string, RecentEntry> | undefined;
  /** The entries still holding claims, oldest first: a ring of `maxRecent` slots from `claimedHead`. */
  private readonly claimed: Array<RecentEntry | undefined>;
  private claimedHead = 0;
  private claimedCount = 0;
  private readonly clock: () => number;

  /** Told about each prepared release that leaves the memo unused (so its native state goes now). */
  private readonly discard: ((release: PreparedRelease) => void) | undefined;

  /** `clock` is a monotonic clock in ms (tests give their own). */
  constructor(maxEntries = DEFAULT_MAX_ENTRIES, maxRecent = Math.min(maxEntries, DEFAULT_RECENT_ENTRIES), discard?: (release: PreparedRelease) => void, clock: () => number = () => performance.now()) {
    this.byDigest = new FifoMap(maxEntries);
    this.recent = maxRecent > 0 ? new FifoMap(maxRecent) : undefined;
    this.claimed = new Array<RecentEntry | undefined>(Math.max(0, maxRecent)).fill(undefined);
    this.discard = discard;
    this.clock = clock;
  }

  /**
   * Remember a token we signed; `expiresAt` is its `exp` (epoch seconds). With `claims` — the object
   * whose JSON is the token's payload, which must not change afterwards — `claimsOf` can return them.
   * `digest` is `digestOf(token)` when the signer already computed it (the native crypto thread does,
   * off the event loop). `release` is a release prepared with the signature for the resource request
   * that usually follows (kept with the entry, which outlives its claims: see `RECENT_CLAIMS_MS`).
   */
  add(token: string, expiresAt: number, claims?: Readonly<Record<string, unknown>>, digest = digestOf(token), release?: PreparedRelease): void {
    this.byDigest.set(digest, expiresAt);
    if (claims && this.recent) {
      const now = this.clock();
      this.forgetClaims(now - RECENT_CLAIMS_MS);
      const entry: RecentEntry = { token, claims, exp: expiresAt, release, at: now };
      const dropped = this.recent.set(signatureOf(token), entry);
      if (dropped?.value.release !== undefined) this.discard?.(dropped.value.release);
      const ring = this.claimed;
      if (this.claimedCount === ring.length) this.forgetOldestClaims();
      ring[(this.claimedHead + this.claimedCount) % ring.length] = entry;
      this.claimedCount++;
    }
  }

  /** Drop the claims of the entries added at or before `cutoff` (ms, the memo's clock). */
  private forgetClaims(cutoff: number): void {
    while (this.claimedCount > 0 && this.claimed[this.claimedHead]!.at <= cutoff) this.forgetOldestClaims();
  }

  private forgetOldestClaims(): void {
    const ring = this.claimed;
    ring[this.claimedHead]!.claims = undefined;
    ring[this.claimedHead] = undefined;
    this.claimedHead = (this.claimedHead + 1) % ring.length;
    this.claimedCount--;
  }

  /**
   * The claims `token` was signed from, when it is exactly one of the newest tokens we signed (added
   * within about `RECENT_CLAIMS_MS`) and has not expired at `nowSeconds`; otherwise undefined (then
   * `has` may still know it).
   */
  claimsOf(token: string, nowSeconds: number): Readonly<Record<string, unknown>> | undefined {
    const e = this.recent?.get(signatureOf(token));
    if (e === undefined || e.token !== token || e.exp < nowSeconds) return undefined;
    return e.claims;
  }

  /**
   * The release prepared when `token` was signed, handed out once (a second call gives undefined);
   * undefined too when `token` is not exactly one of the newest tokens or has expired at `nowSeconds`.
   */
  takeRelease(token: string, nowSeconds: number): PreparedRelease | undefined {
    const e = this.recent?.get(signatureOf(token));
    if (e === undefined || e.release === undefined || e.token !== token || e.exp < nowSeconds) return undefined;
    const release = e.release;
    e.release = undefined;
    return release;
  }

  /** True when `token` is exactly a token we signed that has not expired at `nowSeconds`. */
  has(token: string, nowSeconds: number): boolean {
    const key = digestOf(token);
    const exp = this.byDigest.get(key);
    if (exp === undefined) return false;
    if (exp < nowSeconds) {
      this.byDigest.delete(key);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.byDigest.size;
  }
}
