/**
 * Bitwise operations (exact on big integers), units.parse / units.parse_bytes, uuid.parse,
 * uuid.rfc4122 and rand.intn (random values cached per evaluation, as OPA does).
 * @module
 */
import { evalError, normInt } from '../ops.js';
import { isNumber, RObject, type Value } from '../value.js';
import { num, str } from './args.js';
import type { BuiltinTable, BuiltinContext } from './types.js';

function bigArg(name: string, v: Value, i: number): bigint {
  if (!isNumber(v)) throw evalError(`\`${name}\` expects numeric argument. Got \`${JSON.stringify(v)}\` instead`);
  if (typeof v === 'number' && !Number.isInteger(v)) throw evalError(`${name}: operand ${i} must be integer`);
  return BigInt(v);
}

function bin(name: string, f: (a: bigint, b: bigint) => bigint) {
  return { arity: 2, fn: ([a, b]: Value[]) => normInt(f(bigArg(name, a!, 1), bigArg(name, b!, 2))) };
}

/** Decimal SI prefixes as powers of ten (E/P/T/G and k are case-insensitive; M is mega, m milli). */
const SI: Record<string, number> = {
  '': 0, Q: 30, R: 27, Y: 24, Z: 21, E: 18, e: 18, P: 15, p: 15, T: 12, t: 12, G: 9, g: 9, M: 6, K: 3, k: 3,
  h: 2, da: 1, d: -1, c: -2, m: -3, 'μ': -6, 'µ': -6, n: -9, f: -15, a: -18, z: -21, y: -24, r: -27, q: -30,
};
/** Binary prefixes as powers of two (case-insensitive). */
const BIN: Record<string, number> = { ki: 10, mi: 20, gi: 30, ti: 40, pi: 50, ei: 60, zi: 70, yi: 80 };

function splitUnits(name: string, s: string): [string, string] {
  const text = s.replace(/"/g, '');
  if (/\s/.test(text)) throw evalError(`${name}: spaces not allowed in resource string`);
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([^\d.].*)?$/.exec(text);
  if (!m) throw evalError(`${name}: could not parse ${JSON.stringify(s)}`);
  return [m[1]!, m[2] ?? ''];
}

/** number × 2^exp (exact for integers) or × 10^exp (a float, as regorus computes SI units). */
function scale(num: string, base: 2n | 10n, exp: number): Value {
  if (base === 2n && /^[+-]?\d+$/.test(num)) return normInt(BigInt(num) * 2n ** BigInt(exp));
  // Parsing "<num>e<exp>" rounds once, exactly as the decimal literal would.
  const [mant, e = '0'] = num.toLowerCase().split('e');
  return Number(`${mant}e${Number(e) + exp}`);
}

function cached(ctx: BuiltinContext, key: string, make: () => Value): Value {
  const c = (ctx.cache ??= new Map<string, Value>());
  let v = c.get(key);
  if (v === undefined) {
    v = make();
    c.set(key, v);
  }
  return v;
}

export const bitsUnits: BuiltinTable = {
  'bits.and': bin('bits.and', (a, b) => a & b),
  'bits.or': bin('bits.or', (a, b) => a | b),
  'bits.xor': bin('bits.xor', (a, b) => a ^ b),
  'bits.lsh': bin('bits.lsh', (a, b) => (b < 0n ? fail('bits.lsh') : a << b)),
  'bits.rsh': bin('bits.rsh', (a, b) => (b < 0n ? fail('bits.rsh') : a >> b)),
  'bits.negate': { arity: 1, fn: ([a]) => normInt(~bigArg('bits.negate', a!, 1)) },
  'units.parse': {
    arity: 1,
    fn: ([s]) => {
      const [n, u] = splitUnits('units.parse', str('units.parse', s!));
      const bin = BIN[u.toLowerCase()];
      if (bin !== undefined) return scale(n, 2n, bin);
      const si = SI[u];
      if (si === undefined) return undefined;
      return scale(n, 10n, si);
    },
  },
  'units.parse_bytes': {
    arity: 1,
    fn: ([s]) => {
      const [n, u] = splitUnits('units.parse_bytes', str('units.parse_bytes', s!));
      const unit = u.toLowerCase().replace(/b$/, '');
      const bin = BIN[unit];
      const si = unit === '' ? 0 : SI[unit.toUpperCase()] ?? SI[unit];
      if (bin === undefined && (si === undefined || si < 0)) throw evalError(`units.parse_bytes: unknown unit ${JSON.stringify(u)}`);
      const v = bin !== undefined ? scale(n, 2n, bin) : scale(n, 10n, si!);
      return typeof v === 'number' ? Math.floor(v) : v;
    },
  },
  'uuid.parse': {
    arity: 1,
    fn: ([s]) => {
      if (typeof s !== 'string') throw evalError(`\`uuid.parse\` expects string argument. Got \`${JSON.stringify(s)}\` instead`);
      const m = /^(?:urn:uuid:)?\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/.exec(s);
      if (!m) return undefined;
      const hex = m.slice(1).join('').toLowerCase();
      const version = parseInt(hex[12]!, 16);
      const variantBits = parseInt(hex[16]!, 16);
      const variant = variantBits < 8 ? 'Reserved, NCS backward compatibility' : variantBits < 12 ? 'RFC4122' : variantBits < 14 ? 'Reserved, Microsoft Corporation backward compatibility' : 'Reserved, reserved for future definition';
      const out = RObject.fromEntries([
        ['version', version],
        ['variant', variant],
      ]);
      if (version === 1 || version === 2) {
        const time = (BigInt('0x' + hex.slice(13, 16)) << 48n) | (BigInt('0x' + hex.slice(8, 12)) << 32n) | BigInt('0x' + hex.slice(0, 8));
        out.set('time', normInt((time - 0x01b21dd213814000n) * 100n));
        out.set('clocksequence', parseInt(hex.slice(16, 20), 16) & 0x3fff);
        out.set('nodeid', hex.slice(20).match(/../g)!.join('-'));
        const b0 = parseInt(hex.slice(20, 22), 16);
        out.set('macvariables', (b0 & 2 ? 'local' : 'global') + ':' + (b0 & 1 ? 'multicast' : 'unicast'));
        if (version === 2) {
          out.set('id', parseInt(hex.slice(0, 8), 16));
          const dom = parseInt(hex.slice(18, 20), 16);
          out.set('domain', dom === 0 ? 'Person' : dom === 1 ? 'Group' : dom === 2 ? 'Org' : `Domain${dom}`);
        }
      }
      if (version === 6) {
        const t = (BigInt('0x' + hex.slice(0, 12)) << 12n) | BigInt('0x' + hex.slice(13, 16));
        out.set('time', normInt((t - 0x01b21dd213814000n) * 100n));
      }
      if (version === 7) out.set('time', normInt(BigInt('0x' + hex.slice(0, 12)) * 1_000_000n));
      return out;
    },
  },
  'uuid.rfc4122': {
    arity: 1,
    volatile: true,
    fn: ([k], ctx) => {
      if (typeof k !== 'string') throw evalError(`\`uuid.rfc4122\` expects string argument. Got \`${JSON.stringify(k)}\` instead`);
      return cached(ctx, 'uuid:' + k, () => globalThis.crypto.randomUUID());
    },
  },
  'rand.intn': {
    arity: 2,
    volatile: true,
    fn: ([k, n], ctx) => {
      const key = str('rand.intn', k!);
      const nv = num('rand.intn', n!, 2);
      if (!Number.isInteger(Number(nv))) return undefined;
      const max = Number(nv);
      if (max === 0) return 0;
      const bound = Math.abs(max);
      return cached(ctx, `rand:${key}:${max}`, () => globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! % bound);
    },
  },
};

function fail(name: string): never {
  throw evalError(`${name}: negative shift`);
}
