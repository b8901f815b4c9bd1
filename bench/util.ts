/**
 * Small timing helpers shared by the benches.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
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

let speedKey: ReturnType<typeof generateKeyPairSync>['privateKey'] | undefined;
const speedInput = Buffer.alloc(1500, 1);
/**
 * CPU µs per P-256 ES256 signature, the median of 5 batches of 100: how fast this VM is right now. It
 * is about 27 µs in ordinary phases and 35–40 µs in slow ones, when every run on the box is slower.
 */
export function machineSpeed(): number {
  speedKey ??= generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < 100; k++) sign('sha256', speedInput, { key: speedKey!, dsaEncoding: 'ieee-p1363' });
    const c = process.cpuUsage(c0);
    batches.push((c.user + c.system) / 100);
  }
  return batches.sort((a, b) => a - b)[2]!;
}
