/**
 * Throughput per CPU-second of this process for several operations measured side by side: short
 * interleaved slices of each, so that load from other processes on a shared machine shifts all of
 * them alike and the ratios between them stay meaningful.
 */

/** Operations to compare; each may be sync or async. */
export type Ops<K extends string> = Record<K, () => unknown>;

const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

/**
 * Run `rounds` rounds; in each, every operation runs a short warm-up and then for about `sliceMs`
 * of CPU time. Returns operations per CPU-second for each key.
 */
export async function cpuRates<K extends string>(ops: Ops<K>, rounds = 20, sliceMs = 100): Promise<Record<K, number>> {
  const keys = Object.keys(ops) as K[];
  const totals = Object.fromEntries(keys.map((k) => [k, { n: 0, ms: 0 }])) as Record<K, { n: number; ms: number }>;
  for (let round = 0; round < rounds; round++) {
    for (const k of keys) {
      const f = ops[k];
      for (let i = 0; i < 5; i++) await f();
      const c0 = process.cpuUsage();
      let n = 0;
      do {
        for (let i = 0; i < 10; i++) await f();
        n += 10;
      } while (cpuMs(c0) < sliceMs);
      totals[k].n += n;
      totals[k].ms += cpuMs(c0);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, (totals[k].n / totals[k].ms) * 1000])) as Record<K, number>;
}
