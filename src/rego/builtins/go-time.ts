/**
 * Go time layouts ("2006-01-02T15:04:05Z07:00") for formatting and parsing, and time-zone
 * offsets through Intl. Calendar math is done in UTC milliseconds plus an offset.
 * @module
 */
import { evalError } from '../ops.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Offset of a zone from UTC in minutes at a UTC instant ('' and 'UTC' are UTC). */
export function zoneOffsetMinutes(zone: string, utcMs: number): number {
  if (zone === '' || zone === 'UTC') return 0;
  const tz = zone === 'Local' ? undefined : zone;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw evalError(`unknown time zone ${JSON.stringify(zone)}`);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/** Date.UTC without the 0-99 → 1900s year mapping. */
export function utcMs(year: number, month0: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(Date.UTC(2000, month0, day, hour, minute, second));
  d.setUTCFullYear(d.getUTCFullYear() - 2000 + year);
  return d.getTime();
}

/** Broken-down wall time. */
export interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yday: number;
  offsetMin: number;
  zone: string;
}

export function toCivil(ns: bigint, zone: string): Civil {
  const secs = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
  const nanos = Number(ns - secs * 1_000_000_000n);
  const epochMs = Number(secs) * 1000;
  const offsetMin = zoneOffsetMinutes(zone, epochMs);
  const d = new Date(epochMs + offsetMin * 60000);
  const start = utcMs(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos,
    weekday: d.getUTCDay(),
    yday: Math.floor((utcMs(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - start) / 86400000) + 1,
    offsetMin,
    zone: zone === '' ? 'UTC' : zone,
  };
}

const TOKENS = [
  'January', 'Monday', '2006', '-07:00:00', '-070000', 'Z07:00:00', 'Z070000', '-07:00', 'Z07:00', '-0700', 'Z0700', '-07', 'Z07',
  'Jan', 'Mon', 'MST', '002', '__2', '01', '02', '_2', '03', '04', '05', '06', '15', 'PM', 'pm', '1', '2', '3', '4', '5',
];

function p2(n: number): string {
  return String(n).padStart(2, '0');
}

function offsetText(min: number, colon: boolean, zulu: boolean, short: boolean): string {
  if (zulu && min === 0) return 'Z';
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  const h = p2(Math.floor(a / 60));
  if (short) return sign + h;
  return sign + h + (colon ? ':' : '') + p2(a % 60);
}

/** Format with a Go layout. */
export function formatLayout(c: Civil, layout: string): string {
  let out = '';
  let i = 0;
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?!\d)/.exec(layout.slice(i));
    if (frac && /[05]$/.test(out)) {
      const digits = frac[1]!.length;
      let s = String(c.nanos).padStart(9, '0').slice(0, digits);
      if (frac[1]![0] === '9') s = s.replace(/0+$/, '');
      if (s.length > 0) out += layout[i] + s;
      i += frac[0].length;
      continue;
    }
    const tok = TOKENS.find((t) => layout.startsWith(t, i));
    if (!tok) {
      out += layout[i];
      i++;
      continue;
    }
    i += tok.length;
    switch (tok) {
      case '2006': out += String(c.year).padStart(4, '0'); break;
      case '06': out += p2(c.year % 100); break;
      case 'January': out += MONTHS[c.month - 1]; break;
      case 'Jan': out += MONTHS[c.month - 1]!.slice(0, 3); break;
      case '01': out += p2(c.month); break;
      case '1': out += String(c.month); break;
      case 'Monday': out += DAYS[c.weekday]; break;
      case 'Mon': out += DAYS[c.weekday]!.slice(0, 3); break;
      case '02': out += p2(c.day); break;
      case '_2': out += String(c.day).padStart(2, ' '); break;
      case '2': out += String(c.day); break;
      case '002': out += String(c.yday).padStart(3, '0'); break;
      case '__2': out += String(c.yday).padStart(3, ' '); break;
      case '15': out += p2(c.hour); break;
      case '03': out += p2(c.hour % 12 === 0 ? 12 : c.hour % 12); break;
      case '3': out += String(c.hour % 12 === 0 ? 12 : c.hour % 12); break;
      case '04': out += p2(c.minute); break;
      case '4': out += String(c.minute); break;
      case '05': out += p2(c.second); break;
      case '5': out += String(c.second); break;
      case 'PM': out += c.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += c.hour >= 12 ? 'pm' : 'am'; break;
      case 'MST': out += c.zone === 'UTC' ? 'UTC' : offsetText(c.offsetMin, false, false, false); break;
      default: {
        const zulu = tok[0] === 'Z';
        out += offsetText(c.offsetMin, tok.includes(':'), zulu, tok.length <= 3);
      }
    }
  }
  return out;
}

/** Parse a value with a Go layout; returns ns since the epoch. */
export function parseLayout(layout: string, value: string): bigint {
  let i = 0;
  let j = 0;
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pm: boolean | undefined;
  let offsetMin = 0;
  const fail = (): never => {
    throw evalError(`time.parse_ns: cannot parse ${JSON.stringify(value)} as ${JSON.stringify(layout)}`);
  };
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(value.slice(j));
    if (!m) fail();
    j += m![0].length;
    return Number(m![0]);
  };
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?!\d)/.exec(layout.slice(i));
    if (frac && i > 0 && /[05]/.test(layout[i - 1]!)) {
      i += frac[0].length;
      const m = /^[.,](\d+)/.exec(value.slice(j));
      if (m) {
        nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
        j += m[0].length;
      } else if (frac[1]![0] === '0') fail();
      continue;
    }
    const tok = TOKENS.find((t) => layout.startsWith(t, i));
    if (!tok) {
      if (value[j] !== layout[i]) fail();
      i++;
      j++;
      continue;
    }
    i += tok.length;
    switch (tok) {
      case '2006': year = num(4, 4); break;
      case '06': year = 2000 + num(2, 2); if (year >= 2069) year -= 100; break;
      case '01': month = num(2, 2); break;
      case '1': month = num(1, 2); break;
      case 'January':
      case 'Jan': {
        const idx = MONTHS.findIndex((m) => value.startsWith(tok === 'Jan' ? m.slice(0, 3) : m, j));
        if (idx < 0) fail();
        j += tok === 'Jan' ? 3 : MONTHS[idx]!.length;
        month = idx + 1;
        break;
      }
      case 'Monday':
      case 'Mon': {
        const idx = DAYS.findIndex((d) => value.startsWith(tok === 'Mon' ? d.slice(0, 3) : d, j));
        if (idx < 0) fail();
        j += tok === 'Mon' ? 3 : DAYS[idx]!.length;
        break;
      }
      case '02': day = num(2, 2); break;
      case '_2': if (value[j] === ' ') j++; day = num(1, 2); break;
      case '2': day = num(1, 2); break;
      case '002': case '__2': num(1, 3); break;
      case '15': hour = num(1, 2); break;
      case '03': case '3': hour = num(1, 2); break;
      case '04': case '4': minute = num(1, 2); break;
      case '05': case '5': second = num(1, 2); break;
      case 'PM': case 'pm': {
        const s = value.slice(j, j + 2).toUpperCase();
        if (s !== 'AM' && s !== 'PM') fail();
        pm = s === 'PM';
        j += 2;
        break;
      }
      case 'MST': {
        const m = /^[A-Z]{3,5}|^[+-]\d{2,4}/.exec(value.slice(j));
        if (!m) fail();
        j += m![0].length;
        break;
      }
      default: {
        if (tok[0] === 'Z' && value[j] === 'Z') {
          j++;
          break;
        }
        const m = /^([+-])(\d{2}):?(\d{2})?(?::?\d{2})?/.exec(value.slice(j));
        if (!m) fail();
        j += m![0].length;
        offsetMin = (m![1] === '-' ? -1 : 1) * (Number(m![2]) * 60 + Number(m![3] ?? 0));
      }
    }
  }
  if (j !== value.length) fail();
  if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) fail();
  const ms = utcMs(year, month - 1, day, hour, minute, second) - offsetMin * 60000;
  const d = new Date(ms + offsetMin * 60000);
  if (d.getUTCDate() !== day) fail();
  return BigInt(ms) * 1_000_000n + BigInt(nanos);
}
