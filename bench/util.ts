/**
 * Small timing helpers shared by the benches.
 */
import { performance } from 'node:perf_hooks';

/** Run `fn` repeatedly for about `ms` milliseconds (after a warm-up); returns ops/s and per-op timings. */
export async function measure(fn: () => unknown, ms = 2000, warmupMs = 300): Promise<{ opsPerSec: number; p50: number; p99: number; n: number }> {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await fn();
  const times: number[] = [];
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0;
  return { opsPerSec: (times.length / total) * 1000, p50: q(0.5), p99: q(0.99), n: times.length };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
