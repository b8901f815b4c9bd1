/**
 * Bounded retries with an injectable delay (upstream: RCAR 5 attempts 1 s apart, resource GET 3
 * attempts), so tests run the same loops without waiting.
 * @module
 */

/** How the client waits between attempts. */
export interface RetryPolicy {
  /** Attempts of the RCAR handshake. Upstream `RCAR_MAX_ATTEMPT` = 5. */
  rcarAttempts: number;
  /** Attempts of a resource GET. Upstream `KBS_GET_RESOURCE_MAX_ATTEMPT` = 3. */
  resourceAttempts: number;
  /** Delay before retry `n` (1-based), in ms. */
  delayMs(attempt: number): number;
  /** Sleep; tests pass an instant one. */
  sleep(ms: number): Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  rcarAttempts: 5,
  resourceAttempts: 3,
  delayMs: () => 1000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Retry policy with no waiting (tests). */
export function instantRetry(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY, delayMs: () => 0, sleep: async () => {}, ...overrides };
}
