/**
 * Body scheduling: reorders the expressions of a body so that each runs after the expressions
 * that bind the variables it reads (OPA's safety reordering). Written order is kept otherwise.
 * @module
 */
import type { Expr, Term } from './ast.js';

interface Deps {
  /** Variables the expression reads and that must be bound first. */
  needs: Set<string>;
  /** Variables the expression can bind. */
  binds: Set<string>;
  /** `x = y` between two plain variables: runnable once either is bound. */
  either?: [string, string];
}

const ROOTS = new Set(['input', 'data']);

function addVar(set: Set<string>, name: string): void {
  if (!ROOTS.has(name) && !name.startsWith('_$')) set.add(name);
}

/** Variables a term reads; binding positions (ref brackets, patterns) go to `binds`. */
function termDeps(t: Term, d: Deps, pattern: boolean): void {
  switch (t.t) {
    case 'scalar':
      return;
    case 'var':
      addVar(pattern ? d.binds : d.needs, t.name);
      return;
    case 'ref':
      if (t.head.t === 'var') addVar(d.needs, t.head.name);
      else termDeps(t.head, d, false);
      for (const p of t.path) {
        if (p.t === 'var') addVar(d.binds, p.name);
        else termDeps(p, d, p.t === 'array' || p.t === 'object');
      }
      return;
    case 'array':
      for (const x of t.items) termDeps(x, d, pattern);
      return;
    case 'set':
      for (const x of t.items) termDeps(x, d, false);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        termDeps(k, d, false);
        termDeps(v, d, pattern);
      }
      return;
    case 'arraycomp':
    case 'setcomp':
    case 'objcomp':
      for (const v of freeVars(t)) addVar(d.needs, v);
      return;
    case 'call':
      for (const a of t.args) termDeps(a, d, false);
      return;
    case 'binop':
      termDeps(t.left, d, false);
      termDeps(t.right, d, false);
      return;
    case 'in':
      if (t.key) termDeps(t.key, d, false);
      termDeps(t.value, d, false);
      termDeps(t.coll, d, false);
      return;
  }
}

/** Every variable mentioned anywhere inside (a superset of the free ones; fine for ordering). */
function freeVars(t: Term): Set<string> {
  const d: Deps = { needs: new Set(), binds: new Set() };
  const visit = (x: Term): void => {
    switch (x.t) {
      case 'arraycomp':
      case 'setcomp':
      case 'objcomp': {
        if (x.t === 'objcomp') {
          visit(x.key);
          visit(x.value);
        } else visit(x.head);
        const inner = new Set<string>();
        for (const e of x.body) {
          const ed = exprDeps(e);
          for (const v of ed.needs) d.needs.add(v);
          for (const v of ed.binds) inner.add(v);
        }
        for (const v of inner) {
          d.needs.delete(v);
          d.binds.add(v);
        }
        return;
      }
      default:
        termDeps(x, d, false);
    }
  };
  visit(t);
  const own = new Set(d.binds);
  return new Set([...d.needs].filter((v) => !own.has(v)));
}

function exprMentions(e: Expr): Set<string> {
  const d = exprDeps(e);
  return new Set([...d.needs, ...d.binds]);
}

function exprDeps(e: Expr): Deps {
  const d: Deps = { needs: new Set(), binds: new Set() };
  for (const w of e.withs) termDeps(w.value, d, false);
  switch (e.e) {
    case 'term':
      termDeps(e.term, d, false);
      break;
    case 'unify':
      if (e.left.t === 'var' && e.right.t === 'var' && !ROOTS.has(e.left.name) && !ROOTS.has(e.right.name)) {
        d.either = [e.left.name, e.right.name];
        addVar(d.binds, e.left.name);
        addVar(d.binds, e.right.name);
      } else {
        termDeps(e.left, d, isPattern(e.left));
        termDeps(e.right, d, isPattern(e.right));
      }
      break;
    case 'assign':
      termDeps(e.left, d, true);
      termDeps(e.right, d, false);
      break;
    case 'not':
      for (const v of exprMentions(e.expr)) d.needs.add(v);
      break;
    case 'some':
      break;
    case 'somein':
      if (e.key) termDeps(e.key, d, true);
      termDeps(e.value, d, true);
      termDeps(e.coll, d, false);
      break;
    case 'every': {
      termDeps(e.coll, d, false);
      const inner = new Set<string>();
      for (const x of e.body) for (const v of exprMentions(x)) inner.add(v);
      const own = new Set<string>();
      if (e.key) termDeps(e.key, { needs: own, binds: own }, true);
      termDeps(e.value, { needs: own, binds: own }, true);
      for (const v of inner) if (!own.has(v)) d.needs.add(v);
      break;
    }
  }
  for (const b of d.binds) d.needs.delete(b);
  return d;
}

function isPattern(t: Term): boolean {
  return t.t === 'var' || t.t === 'array' || t.t === 'object';
}

/** Reorder a body; nested bodies are scheduled by the caller's recursion (see scheduleTerm). */
export function scheduleBody(body: Expr[], outer: ReadonlySet<string> = new Set()): Expr[] {
  if (body.length < 2) return body;
  const deps = body.map(exprDeps);
  const local = new Set<string>();
  for (const d of deps) for (const v of d.binds) if (!outer.has(v)) local.add(v);
  const bound = new Set<string>();
  const done = new Array<boolean>(body.length).fill(false);
  const out: Expr[] = [];
  const ready = (d: Deps): boolean => {
    if (d.either) {
      const [a, b] = d.either;
      return !local.has(a) || !local.has(b) || bound.has(a) || bound.has(b);
    }
    for (const v of d.needs) if (local.has(v) && !bound.has(v)) return false;
    return true;
  };
  while (out.length < body.length) {
    let picked = -1;
    for (let i = 0; i < body.length; i++) {
      if (!done[i] && ready(deps[i]!)) {
        picked = i;
        break;
      }
    }
    if (picked < 0) {
      // Nothing is safe: keep the written order; evaluation reports the unsafe variable.
      for (let i = 0; i < body.length; i++) if (!done[i]) out.push(body[i]!);
      break;
    }
    done[picked] = true;
    out.push(body[picked]!);
    for (const v of deps[picked]!.binds) bound.add(v);
  }
  return out;
}
