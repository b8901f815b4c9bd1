/**
 * `expr with target as value`: evaluates the expression in a derived evaluator whose input,
 * data paths or functions are replaced (fresh memo tables, same step budget).
 * @module
 */
import type { Expr, Term } from './ast.js';
import { Evaluator, type Cont, type Env } from './eval.js';
import { evalError } from './ops.js';
import { RObject, type Value } from './value.js';

/** `expr with target as value ...`: evaluate the expression in a derived evaluator. */
/** The first value of a `with` replacement term, or undefined when it has none. */
function withValue(ev: Evaluator, t: Term, env: Env): Value | undefined {
  let value: Value | undefined;
  ev.evalTerm(t, env, (v) => ((value = v), true));
  return value;
}

export function evalWith(ev: Evaluator, e: Expr, env: Env, k: Cont): boolean {
  // Substituted input and functions are not reads of the caller's input: not memoizable.
  if (ev.shared.track) ev.shared.track.volatile = true;
  let input = ev.input;
  const overrides = new Map(ev.overrides ?? []);
  const fnOverrides = new Map(ev.fnOverrides ?? []);
  for (const w of e.withs) {
    const target = w.target;
    const head = target.t === 'ref' ? target.head : target;
    const path = target.t === 'ref' ? target.path.map((p) => (p.t === 'scalar' ? p.v : undefined)) : [];
    if (head.t !== 'var' || path.some((p) => typeof p !== 'string')) throw evalError('invalid `with` target');
    const segs = path as string[];
    const fnValue = withFunctionTarget(ev, w.value);
    const targetNode = head.name === 'data' ? ev.lookupNode(segs) : undefined;
    const functionTarget = targetNode !== undefined && (targetNode.funcs.length > 0 || targetNode.defaults.some((d) => d.kind === 'function'));
    if (functionTarget || (head.name !== 'input' && head.name !== 'data')) {
      // A user function under data, or a builtin: replaced by another function or by a constant value.
      const name = [head.name, ...segs].join('.');
      if (fnValue) fnOverrides.set(name, { fn: fnValue });
      else {
        const value = withValue(ev, w.value, env);
        if (value === undefined) return false;
        fnOverrides.set(name, { value });
      }
    } else {
      const value = withValue(ev, w.value, env);
      if (value === undefined) return false;
      if (head.name === 'input') input = segs.length === 0 ? value : upsert(input, segs, value);
      else overrides.set(segs.join('\u0000'), value);
    }
  }
  const child = new Evaluator(ev.root, ev.shared, input, ev.data, overrides, fnOverrides);
  return child.evalExpr({ ...e, withs: [] }, env, k);
}

/** When a `with` value names a function (builtin or rule), return its dotted path. */
function withFunctionTarget(ev: Evaluator, t: Term): string[] | undefined {
  const name = t.t === 'var' ? [t.name] : t.t === 'ref' && t.head.t === 'var' && t.path.every((p) => p.t === 'scalar') ? [t.head.name, ...t.path.map((p) => String((p as { v: unknown }).v))] : undefined;
  if (!name) return undefined;
  if (name[0] === 'data') {
    const node = ev.lookupNode(name.slice(1));
    return node && node.funcs.length > 0 ? name : undefined;
  }
  return ev.shared.builtins.has(name.join('.')) ? name : undefined;
}

/** Copy `base` with `value` set at `path` (creating objects on the way). */
export function upsert(base: Value | undefined, path: string[], value: Value): Value {
  const [head, ...rest] = path;
  const obj = new RObject();
  if (base instanceof RObject) for (const [kk, vv] of base.entries()) obj.set(kk, vv);
  obj.set(head!, rest.length === 0 ? value : upsert(obj.get(head!), rest, value));
  return obj;
}
