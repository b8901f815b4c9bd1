/**
 * Static checks on parsed rules (before name resolution): default values must be constant,
 * `:=` and `some` must not redeclare a variable, `:=` needs a variable on the left, literal
 * destructuring patterns must match, and v1 modules may not shadow `input`/`data`.
 * @module
 */
import { MalformedInput } from '../core/index.js';
import type { Expr, Loc, Rule, Term } from './ast.js';

function fail(loc: Loc, msg: string): never {
  throw new MalformedInput(`${loc.file}:${loc.line}:${loc.col}: ${msg}`, { where: `${loc.file}:${loc.line}:${loc.col}` });
}

/** A default value may contain literals and comprehensions only. */
function checkDefaultValue(t: Term): void {
  switch (t.t) {
    case 'scalar':
    case 'arraycomp':
    case 'setcomp':
    case 'objcomp':
      return;
    case 'array':
    case 'set':
      for (const x of t.items) checkDefaultValue(x);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        checkDefaultValue(k);
        checkDefaultValue(v);
      }
      return;
    case 'var':
      return fail(t.loc, 'invalid `var` in default value');
    case 'ref':
      return fail(t.loc, 'invalid `ref` in default value');
    case 'call':
      return fail(t.loc, 'invalid `call` in default value');
    case 'in':
      return fail(t.loc, 'unexpected keyword `in` in default value');
    case 'binop': {
      const kind = ['+', '-', '*', '/', '%'].includes(t.op) ? 'arithexpr' : ['==', '!=', '<', '<=', '>', '>='].includes(t.op) ? 'boolexpr' : 'binexpr';
      return fail(t.loc, `invalid \`${kind}\` in default value`);
    }
  }
}

function patternVars(t: Term, out: string[]): void {
  if (t.t === 'var') {
    if (t.name !== '_') out.push(t.name);
  } else if (t.t === 'array') for (const x of t.items) patternVars(x, out);
  else if (t.t === 'object') for (const [, v] of t.entries) patternVars(v, out);
}

/** Two literal patterns that can never unify are a compile error (regorus). */
function checkPatterns(a: Term, b: Term, loc: Loc): void {
  const composite = (t: Term) => t.t === 'array' || t.t === 'object';
  if (!composite(a) || !composite(b)) return;
  if (a.t !== b.t) fail(loc, 'incompatible destructuring patterns: both sides must be arrays or objects with matching structure');
  if (a.t === 'array' && b.t === 'array') {
    if (a.items.length !== b.items.length) fail(loc, 'mismatch in number of array elements');
    a.items.forEach((x, i) => checkPatterns(x, b.items[i]!, loc));
  }
  if (a.t === 'object' && b.t === 'object') {
    const keys = (t: Term & { t: 'object' }) => t.entries.map(([k]) => (k.t === 'scalar' ? JSON.stringify(k.v) : undefined));
    const ka = keys(a);
    const kb = keys(b);
    if (ka.every((k) => k !== undefined) && kb.every((k) => k !== undefined) && JSON.stringify([...ka].sort()) !== JSON.stringify([...kb].sort())) {
      fail(loc, `object literal keys mismatch. Expected keys [${ka.join(', ')}] got [${kb.join(', ')}].`);
    }
  }
}

function checkBody(body: Expr[], declared: Set<string>, v1: boolean): void {
  const declare = (name: string, loc: Loc) => {
    if (v1 && (name === 'input' || name === 'data')) fail(loc, `${name} cannot be shadowed`);
    if (declared.has(name)) fail(loc, `var \`${name}\` used before definition below (redeclared)`);
    declared.add(name);
  };
  for (const e of body) {
    switch (e.e) {
      case 'assign': {
        const vars: string[] = [];
        patternVars(e.left, vars);
        if (vars.length === 0 && e.left.t !== 'var') fail(e.loc, 'assignment operator := requires left-hand side to have bindable variables');
        for (const v of vars) declare(v, e.loc);
        checkPatterns(e.left, e.right, e.loc);
        break;
      }
      case 'unify':
        checkPatterns(e.left, e.right, e.loc);
        break;
      case 'some':
        for (const v of e.vars) declared.add(v);
        break;
      case 'somein': {
        const vars: string[] = [];
        if (e.key) patternVars(e.key, vars);
        patternVars(e.value, vars);
        for (const v of vars) declare(v, e.loc);
        if (e.value.t === 'array' && (e.coll.t === 'array' || e.coll.t === 'set')) {
          const arrays = e.coll.items.filter((i) => i.t === 'array');
          const len = e.value.items.length;
          if (arrays.length > 0 && arrays.length === e.coll.items.length && arrays.every((i) => i.t === 'array' && i.items.length !== len)) {
            fail(e.loc, 'mismatch in number of array elements');
          }
        }
        break;
      }
      case 'every':
        checkBody(e.body, new Set(declared), v1);
        break;
      default:
        break;
    }
  }
}

/** Throws MalformedInput for the first static error of a rule. */
export function checkRule(rule: Rule, v1: boolean): void {
  if (rule.isDefault) checkDefaultValue(rule.bodies[0]!.value);
  for (const b of rule.bodies) {
    const declared = new Set<string>();
    for (const a of rule.args) {
      const vars: string[] = [];
      patternVars(a, vars);
      for (const v of vars) declared.add(v);
    }
    checkBody(b.body, declared, v1);
  }
}
