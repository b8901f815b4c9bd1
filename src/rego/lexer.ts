/**
 * Rego lexer: turns module text into tokens carrying line:column and whether a newline
 * preceded them (newlines separate body expressions, as in OPA's grammar).
 * @module
 */
import { MalformedInput } from '../core/index.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name, punctuation text, number text, or the decoded string. */
  text: string;
  line: number;
  col: number;
  /** A newline (or `;`-free line break) occurred between the previous token and this one. */
  nl: boolean;
  /** Raw (backtick) string. */
  raw?: boolean;
}

const PUNCT2 = new Set([':=', '==', '!=', '<=', '>=']);
const PUNCT1 = new Set(['{', '}', '[', ']', '(', ')', '.', ',', ';', ':', '=', '<', '>', '+', '-', '*', '/', '%', '&', '|', '!']);

/** Error at a source position; message always contains `file:line:col`. */
export function syntaxError(file: string, line: number, col: number, msg: string): MalformedInput {
  return new MalformedInput(`${file}:${line}:${col}: ${msg}`, { where: `${file}:${line}:${col}` });
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Tokenize one module. Throws MalformedInput with `file:line:col` on bad input. */
export function tokenize(src: string, file = 'policy.rego'): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let nl = true;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      nl = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const col = i - lineStart + 1;
    const startLine = line;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src[j]!)) j++;
      out.push({ kind: 'ident', text: src.slice(i, j), line, col, nl });
      i = j;
    } else if (isDigit(c)) {
      let j = i;
      while (j < n && isDigit(src[j]!)) j++;
      if (src[j] === '.' && isDigit(src[j + 1] ?? '')) {
        j++;
        while (j < n && isDigit(src[j]!)) j++;
      }
      if (src[j] === 'e' || src[j] === 'E') {
        let k = j + 1;
        if (src[k] === '+' || src[k] === '-') k++;
        if (isDigit(src[k] ?? '')) {
          j = k;
          while (j < n && isDigit(src[j]!)) j++;
        }
      }
      if (j < n && isIdentStart(src[j]!)) throw syntaxError(file, line, col, `invalid number literal`);
      out.push({ kind: 'number', text: src.slice(i, j), line, col, nl });
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= n || src[j] === '\n') throw syntaxError(file, line, col, 'unterminated string');
        const d = src[j]!;
        if (d === '"') break;
        if (d === '\\') {
          const e = src[j + 1];
          const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e !== undefined && simple[e] !== undefined) {
            s += simple[e];
            j += 2;
          } else if (e === 'u') {
            const hex = src.slice(j + 2, j + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(file, line, j - lineStart + 1, 'invalid unicode escape');
            s += String.fromCharCode(parseInt(hex, 16));
            j += 6;
          } else {
            throw syntaxError(file, line, j - lineStart + 1, `invalid escape sequence \\${e ?? ''}`);
          }
        } else {
          s += d;
          j++;
        }
      }
      out.push({ kind: 'string', text: s, line, col, nl });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw syntaxError(file, line, col, 'unterminated raw string');
      const s = src.slice(i + 1, j);
      out.push({ kind: 'string', text: s, line: startLine, col, nl, raw: true });
      for (const ch of s) if (ch === '\n') line++;
      const lastNl = s.lastIndexOf('\n');
      if (lastNl >= 0) lineStart = i + 1 + lastNl + 1;
      i = j + 1;
    } else {
        const two = src.slice(i, i + 2);
      let p: string;
      if (PUNCT2.has(two)) p = two;
      else if (PUNCT1.has(c)) p = c;
      else throw syntaxError(file, line, col, `unexpected character ${JSON.stringify(c)}`);
      out.push({ kind: 'punct', text: p, line, col, nl });
      i += p.length;
    }
    nl = false;
  }
  out.push({ kind: 'eof', text: '', line, col: i - lineStart + 1, nl: true });
  return out;
}
