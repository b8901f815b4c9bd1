/**
 * Time builtins (nanoseconds since the epoch, Go layouts): now_ns (from the caller's clock),
 * parse_ns, parse_rfc3339_ns, parse_duration_ns, format, date, clock, weekday, add_date, diff.
 * @module
 */
import { evalError, normInt } from '../ops.js';
import { isNumber, typeName, type Value } from '../value.js';
import { formatLayout, parseLayout, toCivil, utcMs, type Civil } from './go-time.js';
import { int, str } from './args.js';
import type { BuiltinTable } from './types.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const RFC3339 = '2006-01-02T15:04:05Z07:00';
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function toNs(name: string, v: Value): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  throw evalError(`\`${name}\` expects \`ns\` to be a \`number\` or \`array[number, string]\`. Got \`${JSON.stringify(v)}\` instead`);
}

/** `ns` or `[ns, tz]` or `[ns, tz, layout]`. */
function nsArg(name: string, v: Value): { ns: bigint; zone: string; layout?: string } {
  if (isNumber(v)) return { ns: toNs(name, v), zone: 'UTC' };
  if (Array.isArray(v) && v.length >= 1 && v.length <= 3 && isNumber(v[0])) {
    const zone = v[1] ?? 'UTC';
    if (typeof zone !== 'string') throw evalError(`\`${name}\` expects 2nd element of \`ns\` to be a \`string\``);
    const layout = v[2];
    if (layout !== undefined && typeof layout !== 'string') throw evalError(`\`${name}\` expects 3rd element of \`ns\` to be a \`string\`. Got \`${JSON.stringify(layout)}\` instead`);
    return layout === undefined ? { ns: toNs(name, v[0]), zone } : { ns: toNs(name, v[0]), zone, layout };
  }
  throw evalError(`\`${name}\` expects \`ns\` to be a \`number\` or \`array[number, string]\`. Got \`${typeName(v) === 'string' ? JSON.stringify(v) : typeName(v)}\` instead`);
}

function civil(name: string, v: Value): Civil {
  const a = nsArg(name, v);
  return toCivil(a.ns, a.zone);
}

const UNITS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Go's time.ParseDuration. */
export function parseDuration(s: string): bigint {
  const bad = () => evalError(`time.parse_duration_ns: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1n;
  if (rest[0] === '-' || rest[0] === '+') {
    if (rest[0] === '-') sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw bad();
  let total = 0n;
  while (rest.length > 0) {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw bad();
    const unit = UNITS[m[3]!]!;
    total += BigInt(m[1] || '0') * unit;
    const frac = m[2] ?? '';
    if (frac.length > 0) total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

function parseRfc3339(s: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw evalError(`time.parse_rfc3339_ns: invalid RFC 3339 time ${JSON.stringify(s)}`);
  const off = m[8]!.toUpperCase() === 'Z' ? 0 : (m[8]![0] === '-' ? -1 : 1) * (Number(m[8]!.slice(1, 3)) * 60 + Number(m[8]!.slice(4, 6)));
  const ms = utcMs(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - off * 60000;
  const nanos = m[7] ? BigInt(m[7].slice(0, 9).padEnd(9, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + nanos;
}

function checked(ns: bigint): Value | undefined {
  return ns > INT64_MAX || ns < INT64_MIN ? undefined : normInt(ns);
}

export const time: BuiltinTable = {
  'time.now_ns': {
    arity: 0,
    volatile: true,
    fn: (_a, ctx) => {
      if (ctx.nowNs === undefined) {
        if (!ctx.now) throw evalError('time.now_ns: no clock was given to the evaluation (EvalOptions.now)');
        ctx.nowNs = BigInt(Math.trunc(ctx.now())) * 1_000_000n;
      }
      return normInt(ctx.nowNs);
    },
  },
  'time.parse_ns': {
    arity: 2,
    fn: ([layout, value]) => {
      if (typeof value !== 'string') throw evalError(`\`time.parse_ns\` expects string argument. Got \`${JSON.stringify(value)}\` instead`);
      return checked(parseLayout(str('time.parse_ns', layout!), value));
    },
  },
  'time.parse_rfc3339_ns': {
    arity: 1,
    fn: ([v]) => {
      if (typeof v !== 'string') throw evalError(`\`time.parse_rfc3339_ns\` expects string argument. Got \`${JSON.stringify(v)}\` instead`);
      return checked(parseRfc3339(v));
    },
  },
  'time.parse_duration_ns': {
    arity: 1,
    fn: ([v]) => {
      if (typeof v !== 'string') throw evalError(`\`time.parse_duration_ns\` expects string argument. Got \`${JSON.stringify(v)}\` instead`);
      return checked(parseDuration(v));
    },
  },
  'time.format': {
    arity: 1,
    fn: ([v]) => {
      const a = nsArg('time.format', v!);
      const c = toCivil(a.ns, a.zone);
      if (a.layout !== undefined) return formatLayout(c, a.layout);
      // Default: RFC 3339 with the fraction in groups of three digits (as regorus prints it).
      const text = formatLayout({ ...c, nanos: 0 }, RFC3339);
      if (c.nanos === 0) return text;
      let frac = String(c.nanos).padStart(9, '0').replace(/0+$/, '');
      frac = frac.padEnd(Math.ceil(frac.length / 3) * 3, '0');
      return text.replace(/(:\d\d)(Z|[+-])/, `$1.${frac}$2`);
    },
  },
  'time.date': {
    arity: 1,
    fn: ([v]) => {
      const c = civil('time.date', v!);
      return [c.year, c.month, c.day];
    },
  },
  'time.clock': {
    arity: 1,
    fn: ([v]) => {
      const c = civil('time.clock', v!);
      return [c.hour, c.minute, c.second];
    },
  },
  'time.weekday': { arity: 1, fn: ([v]) => DAYS[civil('time.weekday', v!).weekday]! },
  'time.add_date': {
    arity: 4,
    fn: ([v, y, m, d]) => {
      const ns = toNs('time.add_date', v!);
      const c = toCivil(ns, 'UTC');
      const years = int('time.add_date', y!, 2);
      const months = int('time.add_date', m!, 3);
      const days = int('time.add_date', d!, 4);
      const year = c.year + years;
      if (Math.abs(year) > 200000) return undefined;
      const ms = utcMs(year, c.month - 1 + months, c.day + days, c.hour, c.minute, c.second);
      if (!Number.isFinite(ms)) return undefined;
      return checked(BigInt(ms) * 1_000_000n + BigInt(c.nanos));
    },
  },
  'time.diff': {
    arity: 2,
    fn: ([a, b]) => {
      let x = civil('time.diff', a!);
      let y = civil('time.diff', b!);
      const key = (c: Civil) => [c.year, c.month, c.day, c.hour, c.minute, c.second, c.nanos];
      const ka = key(x);
      const kb = key(y);
      const after = ka.findIndex((n, i) => n !== kb[i]!);
      if (after >= 0 && ka[after]! > kb[after]!) [x, y] = [y, x];
      let year = y.year - x.year;
      let month = y.month - x.month;
      let day = y.day - x.day;
      let hour = y.hour - x.hour;
      let min = y.minute - x.minute;
      let sec = y.second - x.second;
      if (sec < 0) (sec += 60), min--;
      if (min < 0) (min += 60), hour--;
      if (hour < 0) (hour += 24), day--;
      if (day < 0) {
        const overflow = new Date(utcMs(x.year, x.month - 1, 32)).getUTCDate();
        day += 32 - overflow;
        month--;
      }
      if (month < 0) (month += 12), year--;
      return [year, month, day, hour, min, sec];
    },
  },
};
