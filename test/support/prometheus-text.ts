/**
 * A strict parser of the Prometheus text exposition format (0.0.4) for tests: it checks HELP/TYPE
 * ordering, label syntax and escapes, contiguous families, unique series and histogram invariants
 * (cumulative buckets, `+Inf` bucket equal to `_count`), and throws on anything else.
 * @module
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';

function parseValue(s: string, line: number): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value ${s}`);
  return Number(s);
}

function parseLabels(s: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(s.slice(i));
    if (!m) throw new Error(`line ${line}: bad label at ${s.slice(i)}`);
    i += m[0].length;
    let v = '';
    for (;;) {
      const c = s[i++];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i++];
        if (e === 'n') v += '\n';
        else if (e === '\\' || e === '"') v += e;
        else throw new Error(`line ${line}: bad escape \\${e}`);
      } else if (c === '\n') throw new Error(`line ${line}: raw newline in label`);
      else v += c;
    }
    if (m[1]! in out) throw new Error(`line ${line}: duplicate label ${m[1]}`);
    out[m[1]!] = v;
    if (s[i] === ',') i++;
    else if (i !== s.length) throw new Error(`line ${line}: expected , after label`);
  }
  return out;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((l, idx) => {
    const n = idx + 1;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) ([^]*)$`).exec(l))) {
      if (families.has(m[1]!)) throw new Error(`line ${n}: second HELP for ${m[1]}`);
      if (current) closed.add(current.name);
      current = { name: m[1]!, help: m[2]!, type: 'untyped', samples: [] };
      families.set(current.name, current);
    } else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(l))) {
      if (!current || current.name !== m[1] || current.samples.length) throw new Error(`line ${n}: TYPE must follow HELP of ${m[1]}`);
      current.type = m[2] as Family['type'];
    } else if ((m = new RegExp(`^(${NAME})(?:\\{([^]*)\\})? ([^ ]+)$`).exec(l))) {
      const name = m[1]!;
      const base = current?.type === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name;
      if (!current || base !== current.name) throw new Error(`line ${n}: sample ${name} outside its family`);
      if (closed.has(base)) throw new Error(`line ${n}: family ${base} is not contiguous`);
      const labels = parseLabels(m[2] ?? '', n);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
      seen.add(key);
      const value = parseValue(m[3]!, n);
      if (current.type === 'counter' && !(value >= 0)) throw new Error(`line ${n}: negative counter`);
      current.samples.push({ name, labels, value });
    } else throw new Error(`line ${n}: cannot parse ${JSON.stringify(l)}`);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const k = JSON.stringify(Object.entries(rest).sort());
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
  }
  for (const [k, ss] of groups) {
    const buckets = ss.filter((s) => s.name === `${f.name}_bucket`);
    const count = ss.find((s) => s.name === `${f.name}_count`);
    const sum = ss.find((s) => s.name === `${f.name}_sum`);
    if (!count || !sum || buckets.length === 0) throw new Error(`${f.name}${k}: histogram needs buckets, _sum and _count`);
    let prevLe = -Infinity;
    let prev = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? 'x', 0);
      if (!(le > prevLe)) throw new Error(`${f.name}${k}: le not increasing`);
      if (b.value < prev) throw new Error(`${f.name}${k}: buckets not cumulative`);
      prevLe = le;
      prev = b.value;
    }
    if (prevLe !== Infinity) throw new Error(`${f.name}${k}: last bucket must be +Inf`);
    if (prev !== count.value) throw new Error(`${f.name}${k}: +Inf bucket ${prev} != _count ${count.value}`);
  }
}
