/**
 * `sprintf` with the Go `fmt` verbs policies use: %v %s %d %f %e %g %x %X %o %b %q %t %%,
 * with width, precision and the `-`, `+`, `0` and space flags.
 * @module
 */
import { evalError } from '../ops.js';
import { formatValue, isNumber, RObject, RSet, type Value } from '../value.js';

/** Go's %v rendering of a Rego value. */
export function goValue(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v) || v instanceof RSet || v instanceof RObject) return formatValue(v);
  return String(v);
}

/** OPA's JSON-ish number text: integers plainly, floats as shortest round-trip. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

function pad(s: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let ai = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/.exec(format.slice(i + 1));
    if (!m) {
      out += '%!(NOVERB)';
      continue;
    }
    i += m[0].length;
    const flags = m[1]!;
    const width = m[2] !== undefined ? Number(m[2]) : undefined;
    const prec = m[3] !== undefined ? Number(m[3]) : undefined;
    const verb = m[4]!;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (ai >= args.length) throw evalError(`sprintf: no argument specified for format verb ${ai + 1}`);
    const v = args[ai++]!;
    out += pad(formatOne(verb, v, flags, prec), width, flags.includes('-'), flags.includes('0'));
  }
  if (ai < args.length) out += '%!(EXTRA ' + args.slice(ai).map((a) => `${typeof a === 'string' ? 'string' : 'value'}=${goValue(a)}`).join(', ') + ')';
  return out;
}

function formatOne(verb: string, v: Value, flags: string, prec: number | undefined): string {
  const plus = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  switch (verb) {
    case 'v':
    case 's':
      return prec !== undefined && typeof v === 'string' ? v.slice(0, prec) : goValue(v);
    case 'q':
      return typeof v === 'string' ? JSON.stringify(v) : goValue(v);
    case 't':
      return typeof v === 'boolean' ? String(v) : `%!t(${goValue(v)})`;
    case 'd': {
      if (!isNumber(v) || (typeof v === 'number' && !Number.isInteger(v))) return `%!d(${goValue(v)})`;
      const s = typeof v === 'bigint' ? v.toString() : v.toFixed(0);
      return (Number(v) >= 0 ? plus : '') + s;
    }
    case 'f':
    case 'F':
    case 'e':
    case 'g': {
      if (!isNumber(v)) return `%!${verb}(${goValue(v)})`;
      const n = Number(v);
      const s = verb === 'e' ? n.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : verb === 'g' || prec === undefined ? (prec !== undefined ? String(Number(n.toPrecision(prec))) : String(n)) : n.toFixed(prec);
      return (n >= 0 ? plus : '') + s;
    }
    case 'x':
    case 'X':
    case 'o':
    case 'O':
    case 'b': {
      const radix = verb === 'o' || verb === 'O' ? 8 : verb === 'b' ? 2 : 16;
      let s: string;
      if (typeof v === 'string') s = [...new TextEncoder().encode(v)].map((b) => b.toString(16).padStart(2, '0')).join('');
      else if (isNumber(v) && (typeof v === 'bigint' || Number.isInteger(v))) s = (typeof v === 'bigint' ? v : BigInt(v)).toString(radix);
      else return `%!${verb}(${goValue(v)})`;
      return verb === 'X' ? s.toUpperCase() : verb === 'O' ? '0O' + s : s;
    }
    default:
      throw evalError(`sprintf: unsupported verb %${verb}`);
  }
}
