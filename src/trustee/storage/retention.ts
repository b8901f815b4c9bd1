/**
 * Background retention: every `intervalMs` sweep expired keys and cap namespaces (sessions, audit)
 * to their maximum number of entries. On a storage error the next attempt backs off (doubling from
 * `minBackoffMs` to `maxBackoffMs`, as upstream's session sweeper: 5 s → 300 s), then returns to the
 * normal interval after a success. Timers are unref'd so they never keep a process alive.
 * @module
 */
import type { KvStore, Namespace } from './kv.js';

export interface RetentionRule {
  ns: Namespace;
  /** Keep at most this many newest keys (expired keys are always removed). */
  maxEntries?: number;
}

export interface RetentionOptions {
  intervalMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called after each pass with the number of keys removed per namespace. */
  onSweep?: (removed: Partial<Record<Namespace, number>>) => void;
  /** Called when a pass fails; the error is never thrown out of the timer. */
  onError?: (err: unknown, retryInMs: number) => void;
}

export interface RetentionHandle {
  /** Run one pass now (also used by tests); resolves the keys removed per namespace. */
  sweepNow(): Promise<Partial<Record<Namespace, number>>>;
  stop(): Promise<void>;
}

/** One retention pass over `rules`. */
export async function sweepOnce(store: KvStore, rules: readonly RetentionRule[]): Promise<Partial<Record<Namespace, number>>> {
  const removed: Partial<Record<Namespace, number>> = {};
  for (const r of rules) removed[r.ns] = await store.sweep(r.ns, r.maxEntries);
  return removed;
}

/** Start sweeping `store` periodically. */
export function startRetention(store: KvStore, rules: readonly RetentionRule[], options: RetentionOptions = {}): RetentionHandle {
  const interval = options.intervalMs ?? 60_000;
  const minBackoff = options.minBackoffMs ?? 5_000;
  const maxBackoff = options.maxBackoffMs ?? 300_000;
  let backoff = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const pass = async () => {
    const removed = await sweepOnce(store, rules);
    options.onSweep?.(removed);
    return removed;
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };

  function tick(): void {
    const p = pass().then(
      () => {
        backoff = 0;
        schedule(interval);
      },
      (err: unknown) => {
        backoff = backoff === 0 ? minBackoff : Math.min(backoff * 2, maxBackoff);
        options.onError?.(err, backoff);
        schedule(backoff);
      },
    );
    running = p;
  }

  schedule(interval);
  return {
    sweepNow: pass,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
