/**
 * Number builtins: abs, round, ceil, floor, numbers.range(_step), to_number and the operator
 * aliases (plus, minus, mul, div, rem).
 * @module
 */
import { arith, evalError, normInt } from '../ops.js';
import { RSet, type Value } from '../value.js';
import { num, str } from './args.js';
import type { BuiltinTable } from './types.js';

function roundHalfAway(n: number): number {
  return n < 0 ? -Math.round(-n) : Math.round(n);
}

function unary(name: string, f: (n: number) => number) {
  return {
    arity: 1,
    fn: ([v]: Value[]) => {
      const n = num(name, v!);
      return typeof n === 'bigint' ? n : f(n) === 0 ? 0 : f(n);
    },
  };
}

function range(name: string, a: Value, b: Value, stepV: Value): Value[] {
  const x = num(name, a);
  const y = num(name, b, 2);
  const s = num(name, stepV, 3);
  if (typeof x === 'number' && !Number.isInteger(x)) throw evalError(`${name}: operand 1 must be integer`);
  if (typeof y === 'number' && !Number.isInteger(y)) throw evalError(`${name}: operand 2 must be integer`);
  if ((typeof s === 'number' && !Number.isInteger(s)) || Number(s) <= 0) throw evalError(`${name}: step must be a positive integer`);
  const from = BigInt(x);
  const to = BigInt(y);
  const step = BigInt(s);
  const count = (from <= to ? to - from : from - to) / step + 1n;
  if (count > 10_000_000n) throw evalError(`${name}: range too large`);
  const out: Value[] = [];
  if (from <= to) for (let i = from; i <= to; i += step) out.push(normInt(i));
  else for (let i = from; i >= to; i -= step) out.push(normInt(i));
  return out;
}

export const numbers: BuiltinTable = {
  abs: unary('abs', Math.abs),
  round: unary('round', roundHalfAway),
  ceil: unary('ceil', Math.ceil),
  floor: unary('floor', Math.floor),
  'numbers.range': { arity: 2, fn: ([a, b]) => range('numbers.range', a!, b!, 1) },
  'numbers.range_step': { arity: 3, fn: ([a, b, s]) => range('numbers.range_step', a!, b!, s!) },
  to_number: {
    arity: 1,
    fn: ([v]) => {
      if (v === null) return 0;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'number' || typeof v === 'bigint') return v;
      const s = str('to_number', v!);
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw evalError(`to_number: invalid number ${JSON.stringify(s)}`);
      if (/^[+-]?\d+$/.test(s)) {
        const n = Number(s);
        return Number.isSafeInteger(n) ? n : BigInt(s);
      }
      return Number(s);
    },
  },
  plus: { arity: 2, fn: ([a, b]) => arith('+', a!, b!) },
  minus: { arity: 2, fn: ([a, b]) => (a instanceof RSet ? arith('-', a, b!) : arith('-', a!, b!)) },
  mul: { arity: 2, fn: ([a, b]) => arith('*', a!, b!) },
  div: { arity: 2, fn: ([a, b]) => arith('/', a!, b!) },
  rem: { arity: 2, fn: ([a, b]) => arith('%', a!, b!) },
};
