/**
 * Top-down evaluator: bodies, expressions, unification and terms in continuation-passing style.
 * A continuation returns `true` to stop the search early (first solution is enough).
 * @module
 */
import { LimitExceeded, Conflict, MalformedInput } from '../core/index.js';
import type { Expr, Term } from './ast.js';
import type { BuiltinDef, BuiltinContext } from './builtins/types.js';
import { arith, evalError, indexValue, iterate, member, relation, setOp } from './ops.js';
import { callFunction, nodeValue, PENDING } from './rules.js';
import { hasValueRules, type RuleNode } from './tree.js';
import { equal, RObject, RSet, type Value } from './value.js';
import type { Explainer } from './explain.js';

export type Env = Map<string, Value>;
export type Cont = () => boolean;
export type VCont = (v: Value) => boolean;

/** State shared by an evaluation and the nested evaluators that `with` creates. */
export interface Shared {
  steps: number;
  maxSteps: number;
  deadline: number | undefined;
  clock: (() => number) | undefined;
  builtins: Map<string, BuiltinDef>;
  bctx: BuiltinContext;
  explain: Explainer | undefined;
  /** When false, builtin errors make the call undefined (OPA's default) instead of failing. */
  strict: boolean;
}

/** A function replaced with `with f as g`: a value, or another function's name. */
export type FnOverride = { value: Value } | { fn: string[] };

function isWildcard(name: string): boolean {
  return name.charCodeAt(0) === 95 && name.charCodeAt(1) === 36; // "_$"
}

export class Evaluator {
  readonly memo = new Map<number, Value | undefined | typeof PENDING>();
  readonly fnMemo = new Map<string, Value | undefined>();

  readonly root: RuleNode;
  readonly shared: Shared;
  readonly input: Value | undefined;
  readonly data: Value;
  readonly overrides: Map<string, Value> | undefined;
  readonly fnOverrides: Map<string, FnOverride> | undefined;

  constructor(
    root: RuleNode,
    shared: Shared,
    input: Value | undefined,
    data: Value,
    overrides: Map<string, Value> | undefined,
    fnOverrides: Map<string, FnOverride> | undefined,
  ) {
    this.root = root;
    this.shared = shared;
    this.input = input;
    this.data = data;
    this.overrides = overrides;
    this.fnOverrides = fnOverrides;
  }

  step(): void {
    const s = this.shared;
    if (++s.steps > s.maxSteps) throw new LimitExceeded(`rego evaluation exceeded ${s.maxSteps} steps`);
    if ((s.steps & 1023) === 0 && s.deadline !== undefined && s.clock && s.clock() > s.deadline) {
      throw new LimitExceeded('rego evaluation exceeded its time limit');
    }
  }

  evalBody(body: Expr[], i: number, env: Env, k: Cont): boolean {
    if (i === body.length) return k();
    const ex = this.shared.explain;
    if (ex) ex.reached(body, i, env);
    return this.evalExpr(body[i]!, env, () => this.evalBody(body, i + 1, env, k));
  }

  evalExpr(e: Expr, env: Env, k: Cont): boolean {
    this.step();
    if (e.withs.length > 0) return this.evalWith(e, env, k);
    switch (e.e) {
      case 'term':
        return this.evalTerm(e.term, env, (v) => (v !== false ? k() : false));
      case 'unify':
      case 'assign':
        return this.unify(e.left, e.right, env, k);
      case 'not':
        return this.evalExpr(e.expr, env, () => true) ? false : k();
      case 'some':
        return k();
      case 'somein':
        return this.evalTerm(e.coll, env, (c) =>
          iterate(c, (kk, vv) => this.bindPattern(e.value, vv, env, () => (e.key ? this.bindPattern(e.key, kk, env, k) : k()))),
        );
      case 'every':
        return this.evalTerm(e.coll, env, (c) => {
          const failed = iterate(c, (kk, vv) => {
            const body = () => this.evalBody(e.body, 0, env, () => true);
            const holds = this.bindFresh(e.value, vv, env, () => (e.key ? this.bindFresh(e.key, kk, env, body) : body()));
            return !holds;
          });
          return failed ? false : k();
        });
    }
  }

  /** `expr with target as value ...`: evaluate the expression in a derived evaluator. */
  private evalWith(e: Expr, env: Env, k: Cont): boolean {
    let input = this.input;
    const overrides = new Map(this.overrides ?? []);
    const fnOverrides = new Map(this.fnOverrides ?? []);
    for (const w of e.withs) {
      const target = w.target;
      const head = target.t === 'ref' ? target.head : target;
      const path = target.t === 'ref' ? target.path.map((p) => (p.t === 'scalar' ? p.v : undefined)) : [];
      if (head.t !== 'var' || path.some((p) => typeof p !== 'string')) throw evalError('invalid `with` target');
      const segs = path as string[];
      const fnValue = this.withFunctionTarget(w.value);
      if (head.name === 'input' || head.name === 'data') {
        let value: Value | undefined;
        this.evalTerm(w.value, env, (v) => ((value = v), true));
        if (value === undefined) return false;
        if (head.name === 'input') input = segs.length === 0 ? value : upsert(input, segs, value);
        else overrides.set(segs.join('\u0000'), value);
        if (head.name === 'data' && fnValue === undefined && this.lookupNode(segs)?.funcs.length) {
          fnOverrides.set(['data', ...segs].join('.'), { value });
        }
      } else {
        const name = [head.name, ...segs].join('.');
        if (fnValue) fnOverrides.set(name, { fn: fnValue });
        else {
          let value: Value | undefined;
          this.evalTerm(w.value, env, (v) => ((value = v), true));
          if (value === undefined) return false;
          fnOverrides.set(name, { value });
        }
      }
    }
    const child = new Evaluator(this.root, this.shared, input, this.data, overrides, fnOverrides);
    return child.evalExpr({ ...e, withs: [] }, env, k);
  }

  /** When a `with` value names a function (builtin or rule), return its dotted path. */
  private withFunctionTarget(t: Term): string[] | undefined {
    const name = t.t === 'var' ? [t.name] : t.t === 'ref' && t.head.t === 'var' && t.path.every((p) => p.t === 'scalar') ? [t.head.name, ...t.path.map((p) => String((p as { v: unknown }).v))] : undefined;
    if (!name) return undefined;
    if (name[0] === 'data') {
      const node = this.lookupNode(name.slice(1));
      return node && node.funcs.length > 0 ? name : undefined;
    }
    return this.shared.builtins.has(name.join('.')) ? name : undefined;
  }

  lookupNode(path: string[]): RuleNode | undefined {
    let node: RuleNode | undefined = this.root;
    for (const seg of path) {
      node = node.children.get(seg);
      if (!node) return undefined;
    }
    return node;
  }

  // ---- unification -------------------------------------------------------------------------

  isUnbound(t: Term, env: Env): boolean {
    if (t.t === 'var') return t.name !== 'input' && t.name !== 'data' && !env.has(t.name);
    if (t.t === 'array') return t.items.some((x) => this.isUnbound(x, env));
    if (t.t === 'object') return t.entries.some(([, v]) => this.isUnbound(v, env));
    return false;
  }

  unify(a: Term, b: Term, env: Env, k: Cont): boolean {
    const ua = this.isUnbound(a, env);
    const ub = this.isUnbound(b, env);
    if (ua && ub) {
      if (a.t === 'array' && b.t === 'array' && a.items.length === b.items.length) {
        const step = (i: number): boolean => (i === a.items.length ? k() : this.unify(a.items[i]!, b.items[i]!, env, () => step(i + 1)));
        return step(0);
      }
      throw evalError(`unsafe unification of unbound variables at ${a.loc.line}:${a.loc.col}`);
    }
    if (ua) return this.evalTerm(b, env, (v) => this.bindPattern(a, v, env, k));
    if (ub) return this.evalTerm(a, env, (v) => this.bindPattern(b, v, env, k));
    return this.evalTerm(a, env, (va) => this.evalTerm(b, env, (vb) => (equal(va, vb) ? k() : false)));
  }

  /** Bind a variable that shadows any outer binding (every's key and value). */
  private bindFresh(t: Term, v: Value, env: Env, k: Cont): boolean {
    if (t.t !== 'var' || isWildcard(t.name)) return this.bindPattern(t, v, env, k);
    const saved = env.get(t.name);
    env.set(t.name, v);
    const r = k();
    if (saved === undefined) env.delete(t.name);
    else env.set(t.name, saved);
    return r;
  }

  bindPattern(t: Term, v: Value, env: Env, k: Cont): boolean {
    if (t.t === 'var' && t.name !== 'input' && t.name !== 'data') {
      if (isWildcard(t.name)) return k();
      const cur = env.get(t.name);
      if (cur !== undefined) return equal(cur, v) ? k() : false;
      env.set(t.name, v);
      const r = k();
      env.delete(t.name);
      return r;
    }
    if (t.t === 'array' && this.isUnbound(t, env)) {
      if (!Array.isArray(v) || v.length !== t.items.length) return false;
      const step = (i: number): boolean => (i === v.length ? k() : this.bindPattern(t.items[i]!, v[i]!, env, () => step(i + 1)));
      return step(0);
    }
    if (t.t === 'object' && this.isUnbound(t, env)) {
      if (!(v instanceof RObject) || v.size !== t.entries.length) return false;
      const step = (i: number): boolean => {
        if (i === t.entries.length) return k();
        const [kt, vt] = t.entries[i]!;
        return this.evalTerm(kt, env, (key) => {
          const got = v.get(key);
          return got === undefined ? false : this.bindPattern(vt, got, env, () => step(i + 1));
        });
      };
      return step(0);
    }
    return this.evalTerm(t, env, (x) => (equal(x, v) ? k() : false));
  }

  // ---- terms -------------------------------------------------------------------------------

  evalTerm(t: Term, env: Env, k: VCont): boolean {
    switch (t.t) {
      case 'scalar':
        return k(t.v);
      case 'var': {
        if (t.name === 'input') return this.input === undefined ? false : k(this.input);
        if (t.name === 'data') return this.dataWalk(this.root, [], 0, env, k);
        const v = env.get(t.name);
        if (v === undefined) throw evalError(`var ${t.name} is unsafe (unbound) at ${t.loc.file}:${t.loc.line}:${t.loc.col}`);
        return k(v);
      }
      case 'ref':
        return this.evalRef(t, env, k);
      case 'array':
        return this.evalSeq(t.items, 0, [], env, (vals) => k(vals));
      case 'set':
        return this.evalSeq(t.items, 0, [], env, (vals) => k(new RSet(vals)));
      case 'object': {
        const flat: Term[] = [];
        for (const [a, b] of t.entries) flat.push(a, b);
        return this.evalSeq(flat, 0, [], env, (vals) => {
          const o = new RObject();
          for (let i = 0; i < vals.length; i += 2) o.set(vals[i]!, vals[i + 1]!);
          return k(o);
        });
      }
      case 'arraycomp': {
        const out: Value[] = [];
        this.evalBody(t.body, 0, env, () => this.evalTerm(t.head, env, (v) => (out.push(v), false)));
        return k(out);
      }
      case 'setcomp': {
        const out = new RSet();
        this.evalBody(t.body, 0, env, () => this.evalTerm(t.head, env, (v) => (out.add(v), false)));
        return k(out);
      }
      case 'objcomp': {
        const out = new RObject();
        this.evalBody(t.body, 0, env, () =>
          this.evalTerm(t.key, env, (kv) =>
            this.evalTerm(t.value, env, (vv) => {
              const prev = out.get(kv);
              if (prev !== undefined && !equal(prev, vv)) throw new Conflict('object comprehension produced conflicting keys');
              out.set(kv, vv);
              return false;
            }),
          ),
        );
        return k(out);
      }
      case 'call':
        return this.evalCall(t, env, k);
      case 'binop':
        return this.evalTerm(t.left, env, (a) =>
          this.evalTerm(t.right, env, (b) => {
            switch (t.op) {
              case '|':
              case '&':
                return k(setOp(t.op, a, b));
              case '+':
              case '-':
              case '*':
              case '/':
              case '%':
                return k(arith(t.op, a, b));
              default:
                return k(relation(t.op, a, b));
            }
          }),
        );
      case 'neg':
        return this.evalTerm(t.arg, env, (a) => k(arith('-', 0, a)));
      case 'in':
        return this.evalTerm(t.coll, env, (c) =>
          this.evalTerm(t.value, env, (v) => (t.key ? this.evalTerm(t.key, env, (kk) => k(member(c, v, kk))) : k(member(c, v)))),
        );
    }
  }

  evalSeq(items: Term[], i: number, acc: Value[], env: Env, k: (vals: Value[]) => boolean): boolean {
    if (i === items.length) return k(acc.slice());
    return this.evalTerm(items[i]!, env, (v) => {
      acc[i] = v;
      return this.evalSeq(items, i + 1, acc, env, k);
    });
  }

  private evalRef(t: Term & { t: 'ref' }, env: Env, k: VCont): boolean {
    const head = t.head;
    if (head.t === 'var') {
      if (head.name === 'data') return this.dataWalk(this.root, t.path, 0, env, k);
      if (head.name === 'input') return this.input === undefined ? false : this.walk(this.input, t.path, 0, env, k);
    }
    return this.evalTerm(head, env, (v) => this.walk(v, t.path, 0, env, k));
  }

  walk(v: Value, path: Term[], i: number, env: Env, k: VCont): boolean {
    if (i === path.length) return k(v);
    const p = path[i]!;
    if (p.t === 'scalar') {
      const c = indexValue(v, p.v);
      return c === undefined ? false : this.walk(c, path, i + 1, env, k);
    }
    if (p.t === 'var' && p.name !== 'input' && p.name !== 'data') {
      const bound = env.get(p.name);
      if (bound !== undefined) {
        const c = indexValue(v, bound);
        return c === undefined ? false : this.walk(c, path, i + 1, env, k);
      }
      if (isWildcard(p.name)) return iterate(v, (_kk, vv) => this.walk(vv, path, i + 1, env, k));
      return iterate(v, (kk, vv) => {
        env.set(p.name, kk);
        const r = this.walk(vv, path, i + 1, env, k);
        env.delete(p.name);
        return r;
      });
    }
    if (this.isUnbound(p, env)) {
      return iterate(v, (kk, vv) => this.bindPattern(p, kk, env, () => this.walk(vv, path, i + 1, env, k)));
    }
    return this.evalTerm(p, env, (key) => {
      const c = indexValue(v, key);
      return c === undefined ? false : this.walk(c, path, i + 1, env, k);
    });
  }

  /** Walk `data`: follow the rule tree while the path names packages/rules, then the values. */
  dataWalk(node: RuleNode, path: Term[], i: number, env: Env, k: VCont): boolean {
    if (this.overrides && this.overrides.size > 0) {
      const ov = this.overrides.get(node.path.join('\u0000'));
      if (ov !== undefined) return this.walk(ov, path, i, env, k);
    }
    if (hasValueRules(node) || i === path.length) {
      const v = nodeValue(this, node);
      return v === undefined ? false : this.walk(v, path, i, env, k);
    }
    const p = path[i]!;
    let seg: Value | undefined;
    if (p.t === 'scalar') seg = p.v;
    else if (p.t === 'var' && env.has(p.name)) seg = env.get(p.name);
    if (typeof seg === 'string') {
      const child = node.children.get(seg);
      if (child) return this.dataWalk(child, path, i + 1, env, k);
      const base = this.baseAt([...node.path, seg]);
      return base === undefined ? false : this.walk(base, path, i + 1, env, k);
    }
    const v = nodeValue(this, node);
    return v === undefined ? false : this.walk(v, path, i, env, k);
  }

  /** The base (JSON) data document at a path. */
  baseAt(path: string[]): Value | undefined {
    let v: Value | undefined = this.data;
    for (const seg of path) {
      if (!(v instanceof RObject)) return undefined;
      v = v.get(seg);
      if (v === undefined) return undefined;
    }
    return v;
  }

  // ---- calls -------------------------------------------------------------------------------

  private evalCall(t: Term & { t: 'call' }, env: Env, k: VCont): boolean {
    let fn = t.fn;
    const ov = this.fnOverrides?.get(fn.join('.'));
    if (ov && 'value' in ov) return this.evalSeq(t.args, 0, [], env, () => k(ov.value));
    if (ov) fn = ov.fn;
    if (fn[0] === 'data') {
      const node = this.lookupNode(fn.slice(1));
      if (!node || node.funcs.length === 0) throw evalError(`unknown function ${fn.join('.')}`);
      const arity = node.funcs[0]!.args.length;
      return this.applyCall(t, arity, env, k, (args) => callFunction(this, node, args));
    }
    const name = fn.join('.');
    const def = this.shared.builtins.get(name);
    if (!def) throw evalError(`unknown function ${name} at ${t.loc.file}:${t.loc.line}:${t.loc.col}`);
    if (def.lenient) return this.evalLenientCall(t, def, env, k);
    if (t.args.length !== def.arity) {
      throw evalError(`\`${name}\` expects ${def.arity} argument${def.arity === 1 ? '' : 's'}, got ${t.args.length} at ${t.loc.file}:${t.loc.line}:${t.loc.col}`);
    }
    if (this.shared.strict) return this.applyCall(t, def.arity, env, k, (args) => def.fn(args, this.shared.bctx));
    return this.applyCall(t, def.arity, env, k, (args) => {
      try {
        return def.fn(args, this.shared.bctx);
      } catch (err) {
        if (err instanceof MalformedInput) return undefined;
        throw err;
      }
    });
  }

  private applyCall(t: Term & { t: 'call' }, arity: number, env: Env, k: VCont, call: (args: Value[]) => Value | undefined): boolean {
    const n = t.args.length;
    if (n !== arity && n !== arity + 1) {
      throw evalError(`${t.fn.join('.')}: expected ${arity} arguments, got ${n} at ${t.loc.file}:${t.loc.line}:${t.loc.col}`);
    }
    const inputs = n === arity ? t.args : t.args.slice(0, arity);
    return this.evalSeq(inputs, 0, [], env, (vals) => {
      const r = call(vals);
      if (r === undefined) return false;
      if (n === arity) return k(r);
      return this.bindPattern(t.args[arity]!, r, env, () => k(true));
    });
  }

  /** Builtins such as `print` see undefined arguments instead of failing. */
  private evalLenientCall(t: Term & { t: 'call' }, def: BuiltinDef, env: Env, k: VCont): boolean {
    const args: (Value | undefined)[] = t.args.map((a) => {
      let out: Value | undefined;
      this.evalTerm(a, env, (v) => ((out = v), true));
      return out;
    });
    this.shared.bctx.loc = t.loc;
    const r = def.fn(args as Value[], this.shared.bctx);
    return r === undefined ? false : k(r);
  }
}

/** Copy `base` with `value` set at `path` (creating objects on the way). */
function upsert(base: Value | undefined, path: string[], value: Value): Value {
  const [head, ...rest] = path;
  const obj = new RObject();
  if (base instanceof RObject) for (const [kk, vv] of base.entries()) obj.set(kk, vv);
  obj.set(head!, rest.length === 0 ? value : upsert(obj.get(head!), rest, value));
  return obj;
}
