/**
 * Name resolution: turns identifiers into local variables, rule references (`data.<pkg>.<name>`),
 * import aliases, or builtin calls, and gives each `_` a unique name.
 * @module
 */
import type { Expr, Import, Module, Rule, Term } from './ast.js';
import { scheduleBody } from './schedule.js';

export interface Scope {
  pkg: string[];
  /** First head segment of every rule in the package (across modules). */
  ruleNames: Set<string>;
  imports: Import[];
  /** Names declared local in the rule being resolved. */
  locals: Set<string>;
  counter: { n: number };
}

function importAlias(scope: Scope, name: string): string[] | undefined {
  for (const imp of scope.imports) {
    const alias = imp.alias ?? imp.path[imp.path.length - 1];
    if (alias === name && (imp.path.length > 1 || imp.path[0] === 'input')) return imp.path;
  }
  return undefined;
}

function pathTerm(path: string[], rest: Term[], loc: Term['loc']): Term {
  const [head, ...tail] = path;
  return {
    t: 'ref',
    head: { t: 'var', name: head!, loc },
    path: [...tail.map((s): Term => ({ t: 'scalar', v: s, loc })), ...rest],
    loc,
  };
}

/** Resolve a plain identifier. */
function resolveVar(scope: Scope, name: string, loc: Term['loc']): Term {
  if (name === '_') return { t: 'var', name: `_$${scope.counter.n++}`, loc };
  if (scope.locals.has(name) && (name === 'input' || name === 'data')) return { t: 'var', name: `${name}$local`, loc };
  if (scope.locals.has(name) || name === 'input' || name === 'data') return { t: 'var', name, loc };
  if (scope.ruleNames.has(name)) return pathTerm(['data', ...scope.pkg, name], [], loc);
  const imp = importAlias(scope, name);
  if (imp) return imp.length === 1 ? { t: 'var', name: imp[0]!, loc } : pathTerm(imp, [], loc);
  return { t: 'var', name, loc };
}

export function resolveTerm(scope: Scope, t: Term): Term {
  switch (t.t) {
    case 'scalar':
      return t;
    case 'var':
      return resolveVar(scope, t.name, t.loc);
    case 'ref': {
      const head = resolveTerm(scope, t.head);
      const path = t.path.map((p) => resolveTerm(scope, p));
      if (head.t === 'ref') return { ...head, path: [...head.path, ...path], loc: t.loc };
      return { t: 'ref', head, path, loc: t.loc };
    }
    case 'array':
      return { ...t, items: t.items.map((x) => resolveTerm(scope, x)) };
    case 'set':
      return { ...t, items: t.items.map((x) => resolveTerm(scope, x)) };
    case 'object':
      return { ...t, entries: t.entries.map(([k, v]) => [resolveTerm(scope, k), resolveTerm(scope, v)]) };
    case 'arraycomp':
    case 'setcomp': {
      const body = resolveBody(scope, t.body);
      return { ...t, head: resolveTerm(scope, t.head), body };
    }
    case 'objcomp': {
      const body = resolveBody(scope, t.body);
      return { ...t, key: resolveTerm(scope, t.key), value: resolveTerm(scope, t.value), body };
    }
    case 'call':
      return { ...t, fn: resolveFn(scope, t.fn), args: t.args.map((a) => resolveTerm(scope, a)) };
    case 'binop':
      return { ...t, left: resolveTerm(scope, t.left), right: resolveTerm(scope, t.right) };
    case 'in':
      return {
        ...t,
        key: t.key && resolveTerm(scope, t.key),
        value: resolveTerm(scope, t.value),
        coll: resolveTerm(scope, t.coll),
      };
  }
}

function resolveFn(scope: Scope, fn: string[]): string[] {
  const [head, ...rest] = fn;
  if (head === 'data') return fn;
  // For calls an import shadows a rule of the same name (regorus); for values the rule wins.
  const imp = importAlias(scope, head!);
  if (imp) return [...imp, ...rest];
  if (scope.ruleNames.has(head!)) return ['data', ...scope.pkg, ...fn];
  return fn;
}

export function resolveBody(scope: Scope, body: Expr[]): Expr[] {
  return scheduleBody(body.map((e) => resolveExpr(scope, e)));
}

function resolveExpr(scope: Scope, e: Expr): Expr {
  const withs = e.withs.map((w) => ({ target: resolveWithTarget(scope, w.target), value: resolveTerm(scope, w.value) }));
  const r = (x: Term) => resolveTerm(scope, x);
  switch (e.e) {
    case 'term':
      return { ...e, term: r(e.term), withs };
    case 'unify':
    case 'assign':
      return { ...e, left: r(e.left), right: r(e.right), withs };
    case 'not':
      return { ...e, expr: resolveExpr(scope, e.expr), withs };
    case 'some':
      return { ...e, withs };
    case 'somein':
      return { ...e, key: e.key && r(e.key), value: r(e.value), coll: r(e.coll), withs };
    case 'every':
      return { ...e, key: e.key && r(e.key), value: r(e.value), coll: r(e.coll), body: resolveBody(scope, e.body), withs };
  }
}

/** `with` targets keep builtin names as written; data/input refs resolve normally. */
function resolveWithTarget(scope: Scope, t: Term): Term {
  if (t.t === 'var' && t.name !== 'input' && t.name !== 'data' && !scope.ruleNames.has(t.name) && !importAlias(scope, t.name)) return t;
  if (t.t === 'ref' && t.head.t === 'var' && t.head.name !== 'input' && t.head.name !== 'data' && !importAlias(scope, t.head.name) && !scope.ruleNames.has(t.head.name)) return t;
  return resolveTerm(scope, t);
}

/** Names a rule declares local: `:=` targets, `some`, `every` variables, function parameters. */
export function collectLocals(rule: Rule): Set<string> {
  const out = new Set<string>();
  for (const a of rule.args) patternVars(a, out);
  for (const b of rule.bodies) {
    bodyLocals(b.body, out);
    termLocals(b.value, out);
  }
  if (rule.key) termLocals(rule.key, out);
  return out;
}

export function bodyLocals(body: Expr[], out: Set<string>): void {
  for (const e of body) exprLocals(e, out);
}

function exprLocals(e: Expr, out: Set<string>): void {
  switch (e.e) {
    case 'assign':
      patternVars(e.left, out);
      termLocals(e.right, out);
      break;
    case 'some':
      for (const v of e.vars) out.add(v);
      break;
    case 'somein':
      if (e.key) patternVars(e.key, out);
      patternVars(e.value, out);
      termLocals(e.coll, out);
      break;
    case 'every':
      if (e.key) patternVars(e.key, out);
      patternVars(e.value, out);
      bodyLocals(e.body, out);
      break;
    case 'not':
      exprLocals(e.expr, out);
      break;
    case 'term':
      termLocals(e.term, out);
      break;
    case 'unify':
      termLocals(e.left, out);
      termLocals(e.right, out);
      break;
  }
}

/** Locals declared inside comprehensions nested in a term. */
function termLocals(t: Term, out: Set<string>): void {
  switch (t.t) {
    case 'arraycomp':
    case 'setcomp':
    case 'objcomp':
      bodyLocals(t.body, out);
      break;
    case 'array':
    case 'set':
      for (const x of t.items) termLocals(x, out);
      break;
    case 'object':
      for (const [k, v] of t.entries) {
        termLocals(k, out);
        termLocals(v, out);
      }
      break;
    case 'call':
      for (const a of t.args) termLocals(a, out);
      break;
    case 'binop':
      termLocals(t.left, out);
      termLocals(t.right, out);
      break;
    default:
      break;
  }
}

function patternVars(t: Term, out: Set<string>): void {
  if (t.t === 'var') out.add(t.name);
  else if (t.t === 'array') for (const x of t.items) patternVars(x, out);
  else if (t.t === 'object') for (const [, v] of t.entries) patternVars(v, out);
}

/** Resolve every rule of a module in place-free fashion, returning new rules. */
export function resolveModule(mod: Module, ruleNames: Set<string>, counter: { n: number }): Rule[] {
  return mod.rules.map((rule) => {
    const scope: Scope = { pkg: mod.pkg, ruleNames, imports: mod.imports, locals: collectLocals(rule), counter };
    const r = (x: Term) => resolveTerm(scope, x);
    return {
      ...rule,
      ref: rule.ref.map((x, i) => (i === 0 ? x : r(x))),
      args: rule.args.map(r),
      key: rule.key && r(rule.key),
      bodies: rule.bodies.map((b) => ({ ...b, body: resolveBody(scope, b.body), value: r(b.value) })),
    };
  });
}
