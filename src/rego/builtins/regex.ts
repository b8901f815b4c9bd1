/**
 * Regular expressions (Go RE2 syntax mapped onto JS RegExp with the `u` flag) and glob.match.
 * @module
 */
import { evalError } from '../ops.js';
import type { Value } from '../value.js';
import { elems, int, str } from './args.js';
import type { BuiltinTable } from './types.js';

const cache = new Map<string, RegExp>();

/** Compile a Go/RE2 pattern. Supports the `(?i)`-style leading flags. */
export function compileRegex(name: string, pattern: string, global = false): RegExp {
  const key = (global ? 'g' : '') + pattern;
  const hit = cache.get(key);
  if (hit) return hit;
  let src = pattern;
  let flags = global ? 'gu' : 'u';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const f of m[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  src = src.replace(/\\z/g, '$').replace(/\(\?P</g, '(?<').replace(/\[\[:(\w+):\]\]/g, (_x, cls: string) => posixClass(cls));
  let re: RegExp;
  try {
    re = new RegExp(src, flags);
  } catch (err) {
    throw evalError(`${name}: invalid regular expression: ${(err as Error).message}`);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, re);
  return re;
}

function posixClass(cls: string): string {
  const map: Record<string, string> = {
    alpha: '[A-Za-z]',
    digit: '[0-9]',
    alnum: '[A-Za-z0-9]',
    space: '\\s',
    upper: '[A-Z]',
    lower: '[a-z]',
    punct: '[!-\\/:-@\\[-`{-~]',
    xdigit: '[0-9A-Fa-f]',
  };
  return map[cls] ?? `[[:${cls}:]]`;
}

export const regex: BuiltinTable = {
  'regex.match': { arity: 2, fn: ([p, s]) => compileRegex('regex.match', str('regex.match', p!)).test(str('regex.match', s!, 2)) },
  re_match: { arity: 2, fn: ([p, s]) => compileRegex('re_match', str('re_match', p!)).test(str('re_match', s!, 2)) },
  'regex.is_valid': {
    arity: 1,
    fn: ([p]) => {
      if (typeof p !== 'string') return false;
      try {
        compileRegex('regex.is_valid', p);
        return true;
      } catch {
        return false;
      }
    },
  },
  'regex.split': { arity: 2, fn: ([p, s]) => str('regex.split', s!, 2).split(compileRegex('regex.split', str('regex.split', p!))) },
  'regex.replace': {
    arity: 3,
    fn: ([s, p, r]) => str('regex.replace', s!).replace(compileRegex('regex.replace', str('regex.replace', p!, 2), true), str('regex.replace', r!, 3).replace(/\$\{?(\w+)\}?/g, '$$<$1>').replace(/\$<(\d+)>/g, '$$$1')),
  },
  'regex.find_n': {
    arity: 3,
    fn: ([p, s, n]) => {
      const re = compileRegex('regex.find_n', str('regex.find_n', p!), true);
      const limit = int('regex.find_n', n!, 3);
      const out: Value[] = [];
      for (const m of str('regex.find_n', s!, 2).matchAll(re)) {
        if (limit >= 0 && out.length >= limit) break;
        out.push(m[0]);
      }
      return out;
    },
  },
  'regex.find_all_string_submatch_n': {
    arity: 3,
    fn: ([p, s, n]) => {
      const re = compileRegex('regex.find_all_string_submatch_n', str('regex.find_all_string_submatch_n', p!), true);
      const limit = int('regex.find_all_string_submatch_n', n!, 3);
      const out: Value[] = [];
      for (const m of str('regex.find_all_string_submatch_n', s!, 2).matchAll(re)) {
        if (limit >= 0 && out.length >= limit) break;
        out.push([...m].map((x) => x ?? ''));
      }
      return out;
    },
  },
  'glob.match': {
    arity: 3,
    fn: ([p, d, s]) => globRegex(str('glob.match', p!), d === null ? [] : defaultDot(elems('glob.match', d!, 2).map((x) => str('glob.match', x, 2)))).test(str('glob.match', s!, 3)),
  },
  'glob.quote_meta': { arity: 1, fn: ([s]) => str('glob.quote_meta', s!).replace(/[*?\\[\]{}]/g, '\\$&') },
};

function defaultDot(ds: string[]): string[] {
  return ds.length === 0 ? ['.'] : ds;
}

/** Translate a gobwas/glob pattern (with delimiters) to a RegExp. */
export function globRegex(pattern: string, delims: string[]): RegExp {
  const ds = delims.map((d) => d.replace(/[\\\]^-]/g, '\\$&')).join('');
  const notDelim = ds ? `[^${ds}]` : '[\\s\\S]';
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[++i];
      if (n === undefined) throw evalError('glob.match: trailing escape');
      out += n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '*') {
      if (pattern[i + 1] === '*') {
        out += '[\\s\\S]*';
        i++;
      } else out += `${notDelim}*`;
    } else if (c === '?') out += notDelim;
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 1);
      if (j < 0) throw evalError('glob.match: unclosed [');
      let body = pattern.slice(i + 1, j);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = j;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  if (depth > 0) throw evalError('glob.match: unclosed {');
  try {
    return new RegExp(`^${out}$`, 'u');
  } catch (err) {
    throw evalError(`glob.match: invalid pattern: ${(err as Error).message}`);
  }
}
