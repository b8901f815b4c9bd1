/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format 0.0.4 (HELP/TYPE lines, escaped label values, cumulative `_bucket{le}`,
 * `_sum`, `_count`). Series per metric are capped so that a label fed by requests (a resource path)
 * cannot grow memory without bound: past the cap, new label sets are counted under `__overflow__`.
 * A registry's state can be taken as a plain-data `RegistrySnapshot` (structured-clone safe), merged
 * with the snapshots of other processes (`mergeSnapshots`) and rendered (`renderSnapshot`): that is how
 * several Trustee worker processes answer `/metrics` for the whole server.
 * @module
 */

export type Labels = Record<string, string>;
type Kind = 'counter' | 'gauge' | 'histogram';

/**
 * How a gauge combines across processes: `sum` for quantities each process holds a share of (open
 * connections), `max` for facts every process states alike (`kbs_build_info` = 1 must stay 1).
 */
export type GaugeMerge = 'sum' | 'max';

/** One label set of a counter or gauge. */
export interface ValueSeries {
  values: string[];
  v: number;
}

/** One label set of a histogram: cumulative counts per bucket (without `+Inf`), sum and count. */
export interface HistogramSeries {
  values: string[];
  counts: number[];
  sum: number;
  count: number;
}

interface SnapshotHead {
  name: string;
  help: string;
  labelNames: string[];
}

export type MetricSnapshot =
  | (SnapshotHead & { kind: 'counter'; series: ValueSeries[] })
  | (SnapshotHead & { kind: 'gauge'; merge: GaugeMerge; series: ValueSeries[] })
  | (SnapshotHead & { kind: 'histogram'; buckets: number[]; series: HistogramSeries[] });

/** The state of a registry as plain data, metrics in registration order. */
export interface RegistrySnapshot {
  metrics: MetricSnapshot[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const OVERFLOW_LABEL = '__overflow__';

/** Prometheus text format number: integers plainly, `+Inf`/`-Inf`/`NaN` spelled out. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Escape a label value: backslash, double quote and line feed (exposition format spec). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function countKeys(labels: Labels): number {
  let n = 0;
  for (const _ in labels) n++;
  return n;
}

abstract class Metric<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly kind: Kind;
  protected readonly series = new Map<string, { values: string[]; state: S }>();
  private readonly maxSeries: number;

  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number) {
    if (!NAME_RE.test(name)) throw new TypeError(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL_RE.test(l) || l.startsWith('__') || l === 'le') throw new TypeError(`invalid label name ${l}`);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.maxSeries = maxSeries;
  }

  protected abstract init(): S;

  /** The one series of a metric without labels, once it exists (the hot path: no key to build). */
  private unlabeled: S | undefined;

  protected state(labels?: Labels): S {
    if (this.labelNames.length === 0 && this.unlabeled !== undefined && (labels === undefined || countKeys(labels) === 0)) return this.unlabeled;
    const s = this.lookup(labels ?? {});
    if (this.labelNames.length === 0) this.unlabeled = s;
    return s;
  }

  private lookup(labels: Labels): S {
    // One label (the usual case): the series key is its value, with no array or JSON to build.
    if (this.labelNames.length === 1) {
      const v = labels[this.labelNames[0]!];
      if (v === undefined || countKeys(labels) !== 1) return this.lookupMany(labels);
      const s = this.series.get(v);
      if (s) return s.state;
    }
    return this.lookupMany(labels);
  }

  private lookupMany(labels: Labels): S {
    let values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new TypeError(`${this.name}: missing label ${n}`);
      return v;
    });
    if (Object.keys(labels).length !== this.labelNames.length) throw new TypeError(`${this.name}: unexpected labels ${Object.keys(labels).join(',')}`);
    let key = this.keyOf(values);
    if (!this.series.has(key) && this.series.size >= this.maxSeries) {
      values = this.labelNames.map(() => OVERFLOW_LABEL);
      key = this.keyOf(values);
    }
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { values, state: this.init() }));
    return s.state;
  }

  /** Series key of label values: the value itself for one label, JSON of the list otherwise. */
  private keyOf(values: string[]): string {
    return values.length === 1 ? values[0]! : JSON.stringify(values);
  }

  /** The series as plain data (copies); a metric without labels always has its one series. */
  protected entries(): Array<{ values: string[]; state: S }> {
    if (this.series.size === 0 && this.labelNames.length === 0) this.state();
    return [...this.series.values()].map(({ values, state }) => ({ values: [...values], state }));
  }

  protected head(): SnapshotHead {
    return { name: this.name, help: this.help, labelNames: [...this.labelNames] };
  }

  /** This metric's state as plain data. */
  abstract capture(): MetricSnapshot;

  render(): string {
    return renderMetric(this.capture());
  }
}

export class Counter extends Metric<{ v: number }> {
  readonly kind = 'counter';
  protected init() {
    return { v: 0 };
  }
  inc(labels?: Labels, n = 1): void {
    if (!(n >= 0)) throw new TypeError(`${this.name}: a counter only goes up`);
    this.state(labels).v += n;
  }
  get(labels?: Labels): number {
    return this.state(labels).v;
  }
  capture(): MetricSnapshot {
    return { ...this.head(), kind: 'counter', series: this.entries().map(({ values, state }) => ({ values, v: state.v })) };
  }
}

export class Gauge extends Metric<{ v: number }> {
  readonly kind = 'gauge';
  readonly merge: GaugeMerge;
  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number, merge: GaugeMerge = 'sum') {
    super(name, help, labelNames, maxSeries);
    this.merge = merge;
  }
  protected init() {
    return { v: 0 };
  }
  set(labels: Labels | undefined, v: number): void {
    this.state(labels).v = v;
  }
  inc(labels?: Labels, n = 1): void {
    this.state(labels).v += n;
  }
  dec(labels?: Labels, n = 1): void {
    this.state(labels).v -= n;
  }
  get(labels?: Labels): number {
    return this.state(labels).v;
  }
  capture(): MetricSnapshot {
    return { ...this.head(), kind: 'gauge', merge: this.merge, series: this.entries().map(({ values, state }) => ({ values, v: state.v })) };
  }
}

interface HistState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistState> {
  readonly kind = 'histogram';
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[], maxSeries: number) {
    super(name, help, labelNames, maxSeries);
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new TypeError(`${name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = buckets;
  }
  protected init(): HistState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  observe(labels: Labels | undefined, v: number): void {
    if (Number.isNaN(v)) return;
    const s = this.state(labels);
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  snapshot(labels?: Labels): Readonly<HistState> {
    return this.state(labels);
  }
  capture(): MetricSnapshot {
    return {
      ...this.head(),
      kind: 'histogram',
      buckets: [...this.buckets],
      series: this.entries().map(({ values, state }) => ({ values, counts: [...state.counts], sum: state.sum, count: state.count })),
    };
  }
}

/** The exposition lines of one metric. */
function renderMetric(m: MetricSnapshot): string {
  const lines = [`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.kind}`];
  if (m.kind === 'histogram') {
    for (const s of m.series) {
      m.buckets.forEach((b, i) => lines.push(`${m.name}_bucket${renderLabels(m.labelNames, s.values, ['le', formatValue(b)])} ${s.counts[i]}`));
      lines.push(`${m.name}_bucket${renderLabels(m.labelNames, s.values, ['le', '+Inf'])} ${s.count}`);
      lines.push(`${m.name}_sum${renderLabels(m.labelNames, s.values)} ${formatValue(s.sum)}`);
      lines.push(`${m.name}_count${renderLabels(m.labelNames, s.values)} ${s.count}`);
    }
  } else {
    for (const s of m.series) lines.push(`${m.name}${renderLabels(m.labelNames, s.values)} ${formatValue(s.v)}`);
  }
  return lines.join('\n');
}

/** The text exposition of a snapshot (what `Registry.expose()` returns for its own). */
export function renderSnapshot(snapshot: RegistrySnapshot): string {
  return snapshot.metrics.map(renderMetric).join('\n') + '\n';
}

/** Holds metrics in registration order and renders them. */
export class Registry {
  private readonly metrics = new Map<string, { name: string; capture(): MetricSnapshot }>();
  private readonly maxSeries: number;

  constructor(options: { maxSeriesPerMetric?: number } = {}) {
    this.maxSeries = options.maxSeriesPerMetric ?? 1000;
  }

  private add<M extends { name: string; capture(): MetricSnapshot }>(m: M): M {
    if (this.metrics.has(m.name)) throw new TypeError(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames, this.maxSeries));
  }
  /** A gauge; `merge` says how processes combine it (default `sum`, see `GaugeMerge`). */
  gauge(name: string, help: string, labelNames: readonly string[] = [], options: { merge?: GaugeMerge } = {}): Gauge {
    return this.add(new Gauge(name, help, labelNames, this.maxSeries, options.merge));
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, buckets, labelNames, this.maxSeries));
  }

  /** The current state as plain data (a copy: later observations do not change it). */
  snapshot(): RegistrySnapshot {
    return { metrics: [...this.metrics.values()].map((m) => m.capture()) };
  }

  /** The text exposition (content type `text/plain; version=0.0.4; charset=utf-8`). */
  expose(): string {
    return renderSnapshot(this.snapshot());
  }
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
