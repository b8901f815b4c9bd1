/**
 * Arrays, sets, print and the other small builtins (array.*, intersection, union, print).
 * @module
 */
import { formatValue, RSet, type Value } from '../value.js';
import { goValue } from './sprintf.js';
import { arr, elems, num, set } from './args.js';
import type { BuiltinTable } from './types.js';

export const misc: BuiltinTable = {
  'array.concat': { arity: 2, fn: ([a, b]) => [...arr('array.concat', a!), ...arr('array.concat', b!, 2)] },
  'array.reverse': { arity: 1, fn: ([a]) => [...arr('array.reverse', a!)].reverse() },
  'array.slice': {
    arity: 3,
    fn: ([a, s, e]) => {
      const xs = arr('array.slice', a!);
      num('array.slice', s!, 2);
      num('array.slice', e!, 3);
      // Non-integer bounds make the call undefined (regorus), not an error.
      if (!Number.isInteger(Number(s)) || !Number.isInteger(Number(e))) return undefined;
      const start = Math.max(0, Number(s));
      const end = Math.min(xs.length, Number(e));
      return start >= end ? [] : xs.slice(start, end);
    },
  },
  intersection: {
    arity: 1,
    fn: ([ss]) => {
      const sets = [...set('intersection', ss!).values()].map((x) => set('intersection', x));
      if (sets.length === 0) return new RSet();
      return new RSet([...sets[0]!.values()].filter((x) => sets.every((s) => s.has(x))));
    },
  },
  union: {
    arity: 1,
    fn: ([ss]) => {
      const out = new RSet();
      for (const s of set('union', ss!).values()) for (const x of set('union', s).values()) out.add(x);
      return out;
    },
  },
  print: {
    arity: -1,
    lenient: true,
    fn: (args, ctx) => {
      if (!ctx.print) return true;
      const parts = (args as (Value | undefined)[]).map((a) => (a === undefined ? '<undefined>' : typeof a === 'string' ? a : formatValue(a, '{}')));
      const where = ctx.loc ? `${ctx.loc.file}:${ctx.loc.line}: ` : '';
      ctx.print?.(where + parts.join(' '));
      return true;
    },
  },
  'internal.print': { arity: 1, fn: ([a], ctx) => (ctx.print?.(elems('print', a!).map(goValue).join(' ')), true) },
};
