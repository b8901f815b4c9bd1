/**
 * How a serving Trustee process asks V8 to size its heap: for short pauses rather than a small heap.
 *
 * After each major (mark-compact) collection V8 sets the next one's trigger at the live size times a
 * growing factor it picks between 1.1 and 4 from how fast it collects compared with how fast the
 * program fills the old generation. A KBS promotes little per handshake (its sessions and issued-token
 * memo) while marking is quick, so V8 picks a factor near 1.1: at 2,000 handshakes/s that was a major
 * collection every 2–3 s, each an atomic pause of 4–20 ms (longer as the session table fills), and a
 * 4-second window of paced handshakes holding one had a p99 of 23–77 ms against 6–10 ms without.
 * Fixing the factor at 4 (V8's own upper bound, `heap_growing_percent = 300`) made them rare: over
 * 60,000 handshakes in process, 2 major collections (8 ms in all, 4.7 ms the longest) against 11
 * (71 ms, 16.5 ms). The price is a heap up to four times the live data between collections.
 *
 * V8 reads this flag each time it sets a trigger, so setting it at run time takes effect from the
 * next collection on (flags that size the initial heap do not). It is process-wide, which is why
 * only the serving entry points (`runTrustee`, and the bench's stand-in for it) call this, not
 * `createTrustee`.
 * @module
 */
import { setFlagsFromString } from 'node:v8';

/** The default: V8's largest growing factor, 4. */
export const DEFAULT_HEAP_GROWING_PERCENT = 300;

/** Fix V8's heap growing factor at 1 + percent/100; 0 leaves V8's own heuristics alone. */
export function setHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) throw new RangeError('heap growing percent must be an integer from 0 to 1000');
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
