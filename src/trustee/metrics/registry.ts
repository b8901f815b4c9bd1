/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format 0.0.4 (HELP/TYPE lines, escaped label values, cumulative `_bucket{le}`,
 * `_sum`, `_count`). Series per metric are capped so that a label fed by requests (a resource path)
 * cannot grow memory without bound: past the cap, new label sets are counted under `__overflow__`.
 * @module
 */

export type Labels = Record<string, string>;
type Kind = 'counter' | 'gauge' | 'histogram';

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

  protected state(labels: Labels = {}): S {
    let values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new TypeError(`${this.name}: missing label ${n}`);
      return v;
    });
    if (Object.keys(labels).length !== this.labelNames.length) throw new TypeError(`${this.name}: unexpected labels ${Object.keys(labels).join(',')}`);
    let key = JSON.stringify(values);
    if (!this.series.has(key) && this.series.size >= this.maxSeries) {
      values = this.labelNames.map(() => OVERFLOW_LABEL);
      key = JSON.stringify(values);
    }
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { values, state: this.init() }));
    return s.state;
  }

  protected abstract renderSeries(values: string[], state: S): string[];

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`];
    if (this.series.size === 0 && this.labelNames.length === 0) this.state();
    for (const { values, state } of this.series.values()) lines.push(...this.renderSeries(values, state));
    return lines.join('\n');
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
  protected renderSeries(values: string[], s: { v: number }): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(s.v)}`];
  }
}

export class Gauge extends Metric<{ v: number }> {
  readonly kind = 'gauge';
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
  protected renderSeries(values: string[], s: { v: number }): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(s.v)}`];
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
  protected renderSeries(values: string[], s: HistState): string[] {
    const out = this.buckets.map((b, i) => `${this.name}_bucket${renderLabels(this.labelNames, values, ['le', formatValue(b)])} ${s.counts[i]}`);
    out.push(`${this.name}_bucket${renderLabels(this.labelNames, values, ['le', '+Inf'])} ${s.count}`);
    out.push(`${this.name}_sum${renderLabels(this.labelNames, values)} ${formatValue(s.sum)}`);
    out.push(`${this.name}_count${renderLabels(this.labelNames, values)} ${s.count}`);
    return out;
  }
}

/** Holds metrics in registration order and renders them. */
export class Registry {
  private readonly metrics = new Map<string, { name: string; render(): string }>();
  private readonly maxSeries: number;

  constructor(options: { maxSeriesPerMetric?: number } = {}) {
    this.maxSeries = options.maxSeriesPerMetric ?? 1000;
  }

  private add<M extends { name: string; render(): string }>(m: M): M {
    if (this.metrics.has(m.name)) throw new TypeError(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames, this.maxSeries));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames, this.maxSeries));
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, buckets, labelNames, this.maxSeries));
  }

  /** The text exposition (content type `text/plain; version=0.0.4; charset=utf-8`). */
  expose(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
