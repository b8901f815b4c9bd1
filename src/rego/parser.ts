/**
 * Rego module parser (v1, and v0 as used by Kata agent policies): package, imports, rules with
 * `default`, `else`, `contains`, `if`, functions, and query bodies with `some`, `every`, `not`, `with`.
 * @module
 */
import type { Expr, Import, Loc, Module, Rule, RuleBody, RuleKind, Term } from './ast.js';
import { syntaxError, tokenize } from './lexer.js';
import { parseCallArgs, parseTerm, parseOr, TokenStream } from './parse-term.js';

/** Parse one module. Throws MalformedInput whose message contains `file:line:col`. */
export function parseModule(src: string, file = 'policy.rego'): Module {
  const ts = new TokenStream(tokenize(src, file), file, parseBody);
  if (!ts.isIdent('package')) throw ts.error('expected package declaration');
  ts.next();
  const pkg = parseDottedPath(ts);
  const imports: Import[] = [];
  let v1 = false;
  let seenKeywordImport = false;
  while (ts.isIdent('import')) {
    const loc = ts.loc(ts.next());
    const path = parseDottedPath(ts);
    let alias: string | undefined;
    if (ts.isIdent('as')) {
      ts.next();
      alias = ts.expectIdent().text;
    }
    if (path[0] === 'rego' && path[1] === 'v1' && path.length === 2) {
      if (seenKeywordImport) throw syntaxError(file, loc.line, loc.col, 'this import shadows previous import');
      v1 = true;
    }
    if (path[0] === 'future' && v1) throw syntaxError(file, loc.line, loc.col, 'this import shadows previous import');
    if (path[0] === 'future' || path[0] === 'rego') seenKeywordImport = true;
    else if (path[0] !== 'future' && path[0] !== 'data' && path[0] !== 'input') {
      throw ts.error(`unsupported import ${path.join('.')}`);
    }
    if (path[0] !== 'future' && path[0] !== 'rego') imports.push({ path, alias, loc });
  }
  const rules: Rule[] = [];
  while (ts.peek().kind !== 'eof') {
    for (const r of parseRule(ts, pkg, v1)) rules.push(r);
  }
  return { file, pkg, imports, rules, v1 };
}

/** `a.b["c"].d` as plain strings (package and import paths). */
function parseDottedPath(ts: TokenStream): string[] {
  const out = [ts.expectIdent().text];
  for (;;) {
    if (ts.isPunct('.') && !ts.peek().nl) {
      ts.next();
      out.push(ts.expectIdent().text);
    } else if (ts.isPunct('[') && !ts.peek().nl) {
      ts.next();
      const t = ts.next();
      if (t.kind !== 'string') throw ts.error('expected string in path', t);
      out.push(t.text);
      ts.expectPunct(']');
    } else break;
  }
  return out;
}

/** Head reference; `brackets` records which terms were written in brackets. */
function parseHeadRef(ts: TokenStream, brackets: Set<number>): Term[] {
  const first = ts.expectIdent();
  const ref: Term[] = [{ t: 'scalar', v: first.text, loc: ts.loc(first) }];
  for (;;) {
    const t = ts.peek();
    if (t.nl) break;
    if (ts.isPunct('.')) {
      ts.next();
      const id = ts.expectIdent();
      ref.push({ t: 'scalar', v: id.text, loc: ts.loc(id) });
    } else if (ts.isPunct('[')) {
      ts.next();
      brackets.add(ref.length);
      ref.push(ts.nested(() => parseTerm(ts)));
      ts.expectPunct(']');
    } else break;
  }
  return ref;
}

function parseRule(ts: TokenStream, pkg: string[], v1: boolean): Rule[] {
  const start = ts.peek();
  const loc = ts.loc(start);
  let isDefault = false;
  if (ts.isIdent('default')) {
    ts.next();
    isDefault = true;
  }
  const brackets = new Set<number>();
  const ref = parseHeadRef(ts, brackets);
  let args: Term[] | undefined;
  if (ts.isPunct('(') && !ts.peek().nl) {
    args = parseCallArgs(ts);
  }
  let key: Term | undefined;
  let value: Term | undefined;
  let contains = false;
  if (ts.isIdent('contains') && !ts.peek().nl) {
    ts.next();
    contains = true;
    key = parseTerm(ts);
  } else if ((ts.isPunct('=') || ts.isPunct(':=')) && !ts.peek().nl) {
    ts.next();
    value = parseTerm(ts);
  }
  const kind = ruleKind(ref, brackets, args, contains, value !== undefined, v1);
  if (kind === 'set' && !contains) {
    key = ref[ref.length - 1]!;
    ref.pop();
  }
  if (isDefault) {
    if (!value) throw ts.error('default rule needs a value', start);
    return [{ kind, isDefault, pkg, ref, args: args ?? [], key, staticLen: staticLen(ref, brackets, v1), bodies: [{ body: [], value, loc }], loc }];
  }
  const headValue = value ?? { t: 'scalar', v: true, loc };
  const bodies: RuleBody[] = [];
  const extra: RuleBody[] = [];
  const first = parseOptionalBody(ts, v1);
  if (!first && !value && !contains && !args && (v1 || brackets.size === 0)) {
    throw syntaxError(ts.file, start.line, start.col, 'rule must have a body or assignment');
  }
  if (v1 && (ref[0] as { v: unknown }).v === 'input' && ref.length === 1) throw syntaxError(ts.file, start.line, start.col, 'input cannot be shadowed');
  if (v1 && (ref[0] as { v: unknown }).v === 'data' && ref.length === 1) throw syntaxError(ts.file, start.line, start.col, 'data cannot be shadowed');
  bodies.push({ body: first ?? [], value: headValue, loc });
  // v0: `p { a } { b }` defines two rules with the same head.
  while (first && ts.isPunct('{') && !v1) {
    const b = parseBraced(ts);
    extra.push({ body: b, value: headValue, loc: ts.loc() });
  }
  while (ts.isIdent('else')) {
    const elseLoc = ts.loc(ts.next());
    let v: Term = { t: 'scalar', v: true, loc: elseLoc };
    if ((ts.isPunct('=') || ts.isPunct(':=')) && !ts.peek().nl) {
      ts.next();
      v = parseTerm(ts);
    }
    const b = parseOptionalBody(ts, v1) ?? [];
    bodies.push({ body: b, value: v, loc: elseLoc });
  }
  const rule: Rule = { kind, isDefault, pkg, ref, args: args ?? [], key, staticLen: staticLen(ref, brackets, v1), bodies, loc };
  return [rule, ...extra.map((b) => ({ ...rule, bodies: [b], loc: b.loc }))];
}

function staticLen(ref: Term[], brackets: Set<number>, v1: boolean): number {
  let n = 1;
  while (n < ref.length) {
    const t = ref[n]!;
    if (!(t.t === 'scalar' && typeof t.v === 'string') || (!v1 && brackets.has(n))) break;
    n++;
  }
  return n;
}

function ruleKind(ref: Term[], brackets: Set<number>, args: Term[] | undefined, contains: boolean, hasValue: boolean, v1: boolean): RuleKind {
  if (args && args.length > 0) return 'function';
  if (contains) return 'set';
  const last = ref.length - 1;
  // v0 `p[x] { ... }`: a partial set.
  if (!v1 && !hasValue && last === 1) return 'set';
  for (let i = 1; i < ref.length; i++) {
    const t = ref[i]!;
    if (!(t.t === 'scalar' && typeof t.v === 'string') || (!v1 && brackets.has(i))) return 'object';
  }
  return 'complete';
}

function parseOptionalBody(ts: TokenStream, v1: boolean): Expr[] | undefined {
  if (ts.isIdent('if')) {
    ts.next();
    if (ts.isPunct('{')) return parseBraced(ts);
    return [parseLiteral(ts)];
  }
  if (ts.isPunct('{') && !ts.peek().nl) {
    if (v1) throw ts.error('rego.v1 requires `if` before a rule body');
    return parseBraced(ts);
  }
  if (ts.isPunct('{') && ts.peek().nl) throw ts.error('rule body must start on the head line');
  return undefined;
}

function parseBraced(ts: TokenStream): Expr[] {
  ts.expectPunct('{');
  const body = ts.flat(() => parseBody(ts, '}'));
  ts.expectPunct('}');
  return body;
}

/** Literals separated by `;` or newlines, up to the closing punctuation `end`. */
export function parseBody(ts: TokenStream, end: string): Expr[] {
  const out: Expr[] = [];
  while (!ts.isPunct(end)) {
    if (ts.peek().kind === 'eof') throw ts.error(`expected ${JSON.stringify(end)}`);
    out.push(parseLiteral(ts));
    if (ts.isPunct(';')) {
      ts.next();
      continue;
    }
    if (ts.isPunct(end)) break;
    if (!ts.peek().nl) throw ts.error('expected end of expression');
  }
  if (out.length === 0) throw ts.error('empty body');
  return out;
}

function isKeywordUse(ts: TokenStream, name: string): boolean {
  if (!ts.isIdent(name)) return false;
  const n = ts.peek(1);
  if (n.kind === 'punct' && ['(', '.', ':=', '=', '[', '==', '!='].includes(n.text) && !n.nl) return false;
  return true;
}

function parseLiteral(ts: TokenStream): Expr {
  const loc = ts.loc();
  if (ts.isIdent('some')) return withMods(ts, parseSome(ts, loc));
  if (isKeywordUse(ts, 'every')) return withMods(ts, parseEvery(ts, loc));
  if (ts.isIdent('not')) {
    ts.next();
    const inner = parseLiteral(ts);
    return withMods(ts, { e: 'not', expr: inner, withs: [], loc });
  }
  const lhs = parseTerm(ts);
  if (ts.isPunct(',') && ts.nest === 0) {
    ts.next();
    const value = parseOr(ts);
    if (!ts.isIdent('in')) throw ts.error('expected `in`');
    ts.next();
    const coll = parseOr(ts);
    return withMods(ts, { e: 'term', term: { t: 'in', key: lhs, value, coll, loc }, withs: [], loc });
  }
  if (ts.isPunct('=') && ts.continues()) {
    ts.next();
    return withMods(ts, { e: 'unify', left: lhs, right: parseTerm(ts), withs: [], loc });
  }
  if (ts.isPunct(':=') && ts.continues()) {
    ts.next();
    return withMods(ts, { e: 'assign', left: lhs, right: parseTerm(ts), withs: [], loc });
  }
  return withMods(ts, { e: 'term', term: lhs, withs: [], loc });
}

function withMods(ts: TokenStream, expr: Expr): Expr {
  while (ts.isIdent('with') && ts.continues()) {
    ts.next();
    const target = parseOr(ts);
    if (!ts.isIdent('as')) throw ts.error('expected `as`');
    ts.next();
    const value = parseOr(ts);
    expr.withs.push({ target, value });
  }
  return expr;
}

function parseSome(ts: TokenStream, loc: Loc): Expr {
  ts.next();
  const terms: Term[] = [parseOr(ts)];
  while (ts.isPunct(',')) {
    ts.next();
    terms.push(parseOr(ts));
  }
  if (ts.isIdent('in')) {
    ts.next();
    const coll = parseOr(ts);
    if (terms.length > 2) throw ts.error('`some` with `in` takes one or two terms');
    const [a, b] = terms;
    return { e: 'somein', key: b ? a : undefined, value: b ?? a!, coll, withs: [], loc };
  }
  const vars: string[] = [];
  for (const t of terms) {
    if (t.t !== 'var') throw ts.error('`some` expects variables');
    vars.push(t.name);
  }
  return { e: 'some', vars, withs: [], loc };
}

function parseEvery(ts: TokenStream, loc: Loc): Expr {
  ts.next();
  const first = parseOr(ts);
  let key: Term | undefined;
  let value = first;
  if (ts.isPunct(',')) {
    ts.next();
    key = first;
    value = parseOr(ts);
  }
  if (!ts.isIdent('in')) throw ts.error('expected `in` after `every` variables');
  ts.next();
  const coll = parseOr(ts);
  const body = parseBraced(ts);
  return { e: 'every', key, value, coll, body, withs: [], loc };
}

/** Parse a query: literals separated by `;` or newlines. */
export function parseQuery(src: string, file = 'query'): Expr[] {
  const ts = new TokenStream(tokenize(src, file), file, parseBody);
  const out: Expr[] = [];
  while (ts.peek().kind !== 'eof') {
    out.push(parseLiteral(ts));
    if (ts.isPunct(';')) {
      ts.next();
      continue;
    }
    if (ts.peek().kind !== 'eof' && !ts.peek().nl) throw ts.error('expected end of expression');
  }
  if (out.length === 0) throw ts.error('empty query');
  return out;
}
