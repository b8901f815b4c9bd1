/**
 * Rego term and expression grammar (precedence: `in` < `|` < `&` < relations < `+ -` < `* / %`
 * < unary minus < primary terms with refs and calls). Newlines end an expression except inside
 * brackets, parentheses and literals.
 * @module
 */
import type { BinOp, Expr, Loc, Term } from './ast.js';
import { syntaxError, type Token } from './lexer.js';

/** Brackets nested deeper than this are rejected (keeps the recursive parser off the stack limit). */
const MAX_NESTING = 200;
const RELOPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Token cursor shared by the module and term parsers. */
export class TokenStream {
  pos = 0;
  /** > 0 while inside brackets/parentheses, where newlines do not end an expression. */
  nest = 0;
  readonly toks: Token[];
  readonly file: string;
  /** Parses a query body up to (not including) the closing punctuation. */
  readonly parseBody: (ts: TokenStream, end: string) => Expr[];
  constructor(toks: Token[], file: string, parseBody: (ts: TokenStream, end: string) => Expr[]) {
    this.toks = toks;
    this.file = file;
    this.parseBody = parseBody;
  }

  peek(o = 0): Token {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  loc(t: Token = this.peek()): Loc {
    return { file: this.file, line: t.line, col: t.col };
  }
  isPunct(p: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'punct' && t.text === p;
  }
  isIdent(name: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'ident' && t.text === name;
  }
  /** A continuation token (operator) is allowed here: same line, or inside brackets. */
  continues(): boolean {
    return this.nest > 0 || !this.peek().nl;
  }
  expectPunct(p: string): Token {
    if (!this.isPunct(p)) throw this.error(`expected ${JSON.stringify(p)}`);
    return this.next();
  }
  expectIdent(): Token {
    const t = this.peek();
    if (t.kind !== 'ident') throw this.error('expected identifier');
    return this.next();
  }
  error(msg: string, t: Token = this.peek()): Error {
    const found = t.kind === 'eof' ? 'end of file' : JSON.stringify(t.text);
    return syntaxError(this.file, t.line, t.col, `${msg}, found ${found}`);
  }
  /** Run `f` with newlines insignificant (inside brackets). */
  nested<T>(f: () => T): T {
    if (this.nest >= MAX_NESTING) throw this.error(`nesting deeper than ${MAX_NESTING}`);
    this.nest++;
    try {
      return f();
    } finally {
      this.nest--;
    }
  }
  /** Run `f` with newlines significant again (a body inside brackets). */
  flat<T>(f: () => T): T {
    const saved = this.nest;
    this.nest = 0;
    try {
      return f();
    } finally {
      this.nest = saved;
    }
  }
}

/** Full term including `in` membership. */
/** `(t1, t2, …)`: call or rule-head arguments; the current token is the opening parenthesis. */
export function parseCallArgs(ts: TokenStream): Term[] {
  ts.next();
  const args = ts.nested(() => {
    const out: Term[] = [];
    while (!ts.isPunct(')')) {
      out.push(parseTerm(ts));
      if (!ts.isPunct(',')) break;
      ts.next();
    }
    return out;
  });
  ts.expectPunct(')');
  return args;
}

export function parseTerm(ts: TokenStream): Term {
  let lhs = parseOr(ts);
  while (ts.isIdent('in') && ts.continues()) {
    const loc = ts.loc(ts.next());
    const coll = parseOr(ts);
    lhs = { t: 'in', key: undefined, value: lhs, coll, loc };
  }
  return lhs;
}

export function parseOr(ts: TokenStream): Term {
  let lhs = parseAnd(ts);
  while (ts.isPunct('|') && ts.continues()) {
    const loc = ts.loc(ts.next());
    lhs = { t: 'binop', op: '|', left: lhs, right: parseAnd(ts), loc };
  }
  return lhs;
}

export function parseAnd(ts: TokenStream): Term {
  let lhs = parseRel(ts);
  while (ts.isPunct('&') && ts.continues()) {
    const loc = ts.loc(ts.next());
    lhs = { t: 'binop', op: '&', left: lhs, right: parseRel(ts), loc };
  }
  return lhs;
}

function parseRel(ts: TokenStream): Term {
  let lhs = parseArith(ts);
  while (ts.peek().kind === 'punct' && RELOPS.has(ts.peek().text) && ts.continues()) {
    const t = ts.next();
    lhs = { t: 'binop', op: t.text as BinOp, left: lhs, right: parseArith(ts), loc: ts.loc(t) };
  }
  return lhs;
}

function parseArith(ts: TokenStream): Term {
  let lhs = parseFactor(ts);
  while ((ts.isPunct('+') || ts.isPunct('-')) && ts.continues()) {
    const t = ts.next();
    lhs = { t: 'binop', op: t.text as BinOp, left: lhs, right: parseFactor(ts), loc: ts.loc(t) };
  }
  return lhs;
}

function parseFactor(ts: TokenStream): Term {
  let lhs = parseUnary(ts);
  while ((ts.isPunct('*') || ts.isPunct('/') || ts.isPunct('%')) && ts.continues()) {
    const t = ts.next();
    lhs = { t: 'binop', op: t.text as BinOp, left: lhs, right: parseUnary(ts), loc: ts.loc(t) };
  }
  return lhs;
}

function parseUnary(ts: TokenStream): Term {
  if (ts.isPunct('-')) {
    const t = ts.next();
    if (ts.peek().kind !== 'number') throw ts.error('unary - can only be used with numeric literals', t);
    const arg = parsePostfix(ts, parsePrimary(ts));
    if (arg.t === 'scalar' && (typeof arg.v === 'number' || typeof arg.v === 'bigint')) {
      return { t: 'scalar', v: typeof arg.v === 'bigint' ? -arg.v : arg.v === 0 ? 0 : -arg.v, loc: ts.loc(t) };
    }
    throw ts.error('unary - can only be used with numeric literals', t);
  }
  return parsePostfix(ts, parsePrimary(ts));
}

/** Parse a number literal into a JS number, or a bigint when an integer is not exactly representable. */
export function parseNumber(text: string): number | bigint {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}

function parsePrimary(ts: TokenStream): Term {
  const t = ts.peek();
  const loc = ts.loc(t);
  if (t.kind === 'number') {
    ts.next();
    return { t: 'scalar', v: parseNumber(t.text), loc };
  }
  if (t.kind === 'string') {
    ts.next();
    return { t: 'scalar', v: t.text, loc };
  }
  if (t.kind === 'ident') {
    ts.next();
    if (t.text === 'true' || t.text === 'false') return { t: 'scalar', v: t.text === 'true', loc };
    if (t.text === 'null') return { t: 'scalar', v: null, loc };
    return { t: 'var', name: t.text, loc };
  }
  if (t.kind === 'punct') {
    if (t.text === '(') {
      ts.next();
      const inner = ts.nested(() => parseTerm(ts));
      ts.expectPunct(')');
      return inner;
    }
    if (t.text === '[') return parseArrayLike(ts);
    if (t.text === '{') return parseBraceLike(ts);
  }
  throw ts.error('expected a term');
}

function parseArrayLike(ts: TokenStream): Term {
  const loc = ts.loc(ts.next());
  return ts.nested(() => {
    if (ts.isPunct(']')) {
      ts.next();
      return { t: 'array', items: [], loc } as Term;
    }
    let first = parseAnd(ts);
    if (ts.isPunct('|')) {
      const bar = ts.next();
      // `[a | b, c]`: a comma after the right operand makes this an array whose first item is a
      // set union (regorus' disambiguation); otherwise it is a comprehension.
      const save = ts.pos;
      let union: Term | undefined;
      try {
        const rhs = parseAnd(ts);
        if (ts.isPunct(',')) union = { t: 'binop', op: '|', left: first, right: rhs, loc: ts.loc(bar) };
      } catch {
        union = undefined;
      }
      if (!union) {
        ts.pos = save;
        const body = ts.flat(() => ts.parseBody(ts, ']'));
        ts.expectPunct(']');
        return { t: 'arraycomp', head: first, body, loc } as Term;
      }
      first = union;
    }
    const items = [continueIn(ts, first)];
    while (ts.isPunct(',')) {
      ts.next();
      if (ts.isPunct(']')) break;
      items.push(parseTerm(ts));
    }
    ts.expectPunct(']');
    return { t: 'array', items, loc } as Term;
  });
}

/** After parsing a head at `&` level, allow a trailing `in` (when it was not a comprehension). */
function continueIn(ts: TokenStream, lhs: Term): Term {
  let out = lhs;
  while (ts.isPunct('|')) {
    const loc = ts.loc(ts.next());
    out = { t: 'binop', op: '|', left: out, right: parseAnd(ts), loc };
  }
  while (ts.isIdent('in')) {
    const loc = ts.loc(ts.next());
    out = { t: 'in', key: undefined, value: out, coll: parseOr(ts), loc };
  }
  return out;
}

function parseBraceLike(ts: TokenStream): Term {
  const loc = ts.loc(ts.next());
  return ts.nested(() => {
    if (ts.isPunct('}')) {
      ts.next();
      return { t: 'object', entries: [], loc } as Term;
    }
    const first = parseAnd(ts);
    if (ts.isPunct(':')) {
      ts.next();
      const v = parseAnd(ts);
      if (ts.isPunct('|')) {
        ts.next();
        const body = ts.flat(() => ts.parseBody(ts, '}'));
        ts.expectPunct('}');
        return { t: 'objcomp', key: first, value: v, body, loc } as Term;
      }
      const entries: [Term, Term][] = [[first, continueIn(ts, v)]];
      while (ts.isPunct(',')) {
        ts.next();
        if (ts.isPunct('}')) break;
        const k = parseTerm(ts);
        ts.expectPunct(':');
        entries.push([k, parseTerm(ts)]);
      }
      ts.expectPunct('}');
      return { t: 'object', entries, loc } as Term;
    }
    if (ts.isPunct('|')) {
      ts.next();
      const body = ts.flat(() => ts.parseBody(ts, '}'));
      ts.expectPunct('}');
      return { t: 'setcomp', head: first, body, loc } as Term;
    }
    const items = [continueIn(ts, first)];
    while (ts.isPunct(',')) {
      ts.next();
      if (ts.isPunct('}')) break;
      items.push(parseTerm(ts));
    }
    ts.expectPunct('}');
    return { t: 'set', items, loc } as Term;
  });
}

/** Dots, brackets and call arguments directly after a term (no newline before them). */
function parsePostfix(ts: TokenStream, head: Term): Term {
  let term = head;
  for (;;) {
    const t = ts.peek();
    if (t.kind !== 'punct' || (t.nl && ts.nest === 0)) return term;
    if (t.text === '.') {
      ts.next();
      const id = ts.expectIdent();
      if (id.line !== t.line || id.col !== t.col + 1) throw ts.error('invalid whitespace between . and identifier', id);
      term = appendRef(term, { t: 'scalar', v: id.text, loc: ts.loc(id) });
    } else if (t.text === '[') {
      ts.next();
      const key = ts.nested(() => parseTerm(ts));
      ts.expectPunct(']');
      term = appendRef(term, key);
    } else if (t.text === '(') {
      const fn = callName(term);
      if (!fn) return term;
      const args = parseCallArgs(ts);
      if (fn.length === 1 && fn[0] === 'set' && args.length === 0) term = { t: 'set', items: [], loc: term.loc };
      else term = { t: 'call', fn, args, loc: term.loc };
    } else {
      return term;
    }
  }
}

function appendRef(term: Term, key: Term): Term {
  if (term.t === 'ref') return { ...term, path: [...term.path, key] };
  return { t: 'ref', head: term, path: [key], loc: term.loc };
}

/** `a.b.c` → ['a','b','c'] when the term can name a function. */
function callName(term: Term): string[] | undefined {
  if (term.t === 'var') return [term.name];
  if (term.t === 'ref' && term.head.t === 'var') {
    const out = [term.head.name];
    for (const p of term.path) {
      if (p.t !== 'scalar' || typeof p.v !== 'string') return undefined;
      out.push(p.v);
    }
    return out;
  }
  return undefined;
}
