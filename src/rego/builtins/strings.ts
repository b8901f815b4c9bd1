/**
 * String builtins: concat, contains, startswith, endswith, split, sprintf, format_int, lower,
 * upper, replace, trim family, indexof, substring, strings.* helpers.
 * @module
 */
import { evalError } from '../ops.js';
import { sprintf } from './sprintf.js';
import { arr, elems, int, num, str } from './args.js';
import type { BuiltinTable } from './types.js';
import type { Value } from '../value.js';

function cut(s: string, chars: string, left: boolean, right: boolean): string {
  const cs = new Set([...chars]);
  const a = [...s];
  let i = 0;
  let j = a.length;
  if (left) while (i < j && cs.has(a[i]!)) i++;
  if (right) while (j > i && cs.has(a[j - 1]!)) j--;
  return a.slice(i, j).join('');
}

export const strings: BuiltinTable = {
  concat: { arity: 2, fn: ([d, xs]) => elems('concat', xs!, 2).map((x, i) => str('concat', x, i + 2)).join(str('concat', d!)) },
  contains: { arity: 2, fn: ([s, sub]) => str('contains', s!).includes(str('contains', sub!, 2)) },
  startswith: { arity: 2, fn: ([s, p]) => str('startswith', s!).startsWith(str('startswith', p!, 2)) },
  endswith: { arity: 2, fn: ([s, p]) => str('endswith', s!).endsWith(str('endswith', p!, 2)) },
  lower: { arity: 1, fn: ([s]) => str('lower', s!).toLowerCase() },
  upper: { arity: 1, fn: ([s]) => str('upper', s!).toUpperCase() },
  split: { arity: 2, fn: ([s, d]) => str('split', s!).split(str('split', d!, 2)) },
  replace: { arity: 3, fn: ([s, o, n]) => str('replace', s!).split(str('replace', o!, 2)).join(str('replace', n!, 3)) },
  'strings.replace_n': {
    arity: 2,
    fn: ([patterns, s]) => {
      let out = str('strings.replace_n', s!, 2);
      const o = patterns;
      if (!(o && typeof o === 'object' && 'sortedEntries' in o)) throw evalError('strings.replace_n: operand 1 must be object');
      for (const [k, v] of o.sortedEntries()) out = out.split(str('strings.replace_n', k)).join(str('strings.replace_n', v));
      return out;
    },
  },
  trim: { arity: 2, fn: ([s, c]) => cut(str('trim', s!), str('trim', c!, 2), true, true) },
  trim_left: { arity: 2, fn: ([s, c]) => cut(str('trim_left', s!), str('trim_left', c!, 2), true, false) },
  trim_right: { arity: 2, fn: ([s, c]) => cut(str('trim_right', s!), str('trim_right', c!, 2), false, true) },
  trim_prefix: {
    arity: 2,
    fn: ([s, p]) => {
      const x = str('trim_prefix', s!);
      const q = str('trim_prefix', p!, 2);
      return x.startsWith(q) ? x.slice(q.length) : x;
    },
  },
  trim_suffix: {
    arity: 2,
    fn: ([s, p]) => {
      const x = str('trim_suffix', s!);
      const q = str('trim_suffix', p!, 2);
      return q.length > 0 && x.endsWith(q) ? x.slice(0, x.length - q.length) : x;
    },
  },
  trim_space: { arity: 1, fn: ([s]) => str('trim_space', s!).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, '') },
  indexof: {
    arity: 2,
    fn: ([s, sub]) => {
      const a = str('indexof', s!);
      const b = str('indexof', sub!, 2);
      if (b === '') return -1;
      const i = a.indexOf(b);
      return i < 0 ? -1 : [...a.slice(0, i)].length;
    },
  },
  indexof_n: {
    arity: 2,
    fn: ([s, sub]) => {
      const a = [...str('indexof_n', s!)];
      const b = [...str('indexof_n', sub!, 2)];
      const out: Value[] = [];
      for (let i = 0; i + b.length <= a.length; i++) if (b.every((c, j) => a[i + j] === c)) out.push(i);
      return out;
    },
  },
  substring: {
    arity: 3,
    fn: ([s, start, len]) => {
      const a = [...str('substring', s!)];
      const st = int('substring', start!, 2);
      const n = int('substring', len!, 3);
      if (st < 0) throw evalError('substring: negative offset');
      if (st >= a.length) return '';
      return (n < 0 ? a.slice(st) : a.slice(st, st + n)).join('');
    },
  },
  'strings.reverse': { arity: 1, fn: ([s]) => [...str('strings.reverse', s!)].reverse().join('') },
  'strings.count': {
    arity: 2,
    fn: ([s, sub]) => {
      const a = str('strings.count', s!);
      const b = str('strings.count', sub!, 2);
      return b === '' ? [...a].length + 1 : a.split(b).length - 1;
    },
  },
  'strings.any_prefix_match': {
    arity: 2,
    fn: ([s, p]) => {
      const ss = typeof s === 'string' ? [s] : elems('strings.any_prefix_match', s!).map((x) => str('strings.any_prefix_match', x));
      const ps = typeof p === 'string' ? [p] : elems('strings.any_prefix_match', p!, 2).map((x) => str('strings.any_prefix_match', x, 2));
      return ss.some((x) => ps.some((q) => x.startsWith(q)));
    },
  },
  'strings.any_suffix_match': {
    arity: 2,
    fn: ([s, p]) => {
      const ss = typeof s === 'string' ? [s] : elems('strings.any_suffix_match', s!).map((x) => str('strings.any_suffix_match', x));
      const ps = typeof p === 'string' ? [p] : elems('strings.any_suffix_match', p!, 2).map((x) => str('strings.any_suffix_match', x, 2));
      return ss.some((x) => ps.some((q) => x.endsWith(q)));
    },
  },
  sprintf: { arity: 2, fn: ([f, a]) => sprintf(str('sprintf', f!), arr('sprintf', a!, 2)) },
  format_int: {
    arity: 2,
    fn: ([n, b]) => {
      const base = int('format_int', b!, 2);
      if (![2, 8, 10, 16].includes(base)) throw evalError('format_int: base must be one of 2, 8, 10, 16');
      const x = num('format_int', n!);
      const i = typeof x === 'bigint' ? x : BigInt(Math.trunc(x));
      return i.toString(base);
    },
  },
};
