/**
 * Merges the registry snapshots of several processes into the snapshot of the whole server:
 * counters and histograms (bucket counts, sum, count) add up; a gauge follows its own `merge` rule.
 * The processes run the same code, so every snapshot registers the same metrics with the same
 * labels and buckets; a disagreement is a bug and throws `TypeError` rather than guessing.
 * @module
 */
import type { HistogramSeries, MetricSnapshot, RegistrySnapshot, ValueSeries } from './registry.js';

const keyOf = (values: readonly string[]) => JSON.stringify(values);

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function assertSameShape(into: MetricSnapshot, m: MetricSnapshot): void {
  const same =
    into.kind === m.kind &&
    sameList(into.labelNames, m.labelNames) &&
    (into.kind !== 'histogram' || (m.kind === 'histogram' && sameList(into.buckets, m.buckets))) &&
    (into.kind !== 'gauge' || (m.kind === 'gauge' && into.merge === m.merge));
  if (!same) throw new TypeError(`metric ${m.name} differs between processes (kind, labels, buckets or merge rule)`);
}

function mergeValues(into: ValueSeries[], from: readonly ValueSeries[], combine: (a: number, b: number) => number): void {
  const index = new Map(into.map((s, i) => [keyOf(s.values), i]));
  for (const s of from) {
    const i = index.get(keyOf(s.values));
    if (i === undefined) (index.set(keyOf(s.values), into.length), into.push({ values: [...s.values], v: s.v }));
    else into[i]!.v = combine(into[i]!.v, s.v);
  }
}

function mergeHistograms(into: HistogramSeries[], from: readonly HistogramSeries[]): void {
  const index = new Map(into.map((s, i) => [keyOf(s.values), i]));
  for (const s of from) {
    const i = index.get(keyOf(s.values));
    if (i === undefined) {
      index.set(keyOf(s.values), into.length);
      into.push({ values: [...s.values], counts: [...s.counts], sum: s.sum, count: s.count });
      continue;
    }
    const t = into[i]!;
    s.counts.forEach((c, b) => (t.counts[b]! += c));
    t.sum += s.sum;
    t.count += s.count;
  }
}

function copy(m: MetricSnapshot): MetricSnapshot {
  if (m.kind === 'histogram') return { ...m, labelNames: [...m.labelNames], buckets: [...m.buckets], series: [] };
  return { ...m, labelNames: [...m.labelNames], series: [] };
}

/**
 * The snapshot of all `snapshots` together. Metrics keep the order of the first snapshot that has
 * them; series keep the order in which they are first seen. The inputs are not modified.
 */
export function mergeSnapshots(snapshots: readonly RegistrySnapshot[]): RegistrySnapshot {
  const byName = new Map<string, MetricSnapshot>();
  for (const snap of snapshots) {
    for (const m of snap.metrics) {
      let into = byName.get(m.name);
      if (!into) byName.set(m.name, (into = copy(m)));
      else assertSameShape(into, m);
      if (into.kind === 'histogram') mergeHistograms(into.series, (m as typeof into).series);
      else if (into.kind === 'gauge' && into.merge === 'max') mergeValues(into.series, (m as typeof into).series, Math.max);
      else mergeValues(into.series as ValueSeries[], (m as { series: ValueSeries[] }).series, (a, b) => a + b);
    }
  }
  return { metrics: [...byName.values()] };
}
