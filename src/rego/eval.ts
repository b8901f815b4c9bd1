/**
 * Top-down evaluator: bodies, expressions, unification and terms in continuation-passing style.
 * A continuation returns `true` to stop the search early (first solution is enough).
 * @module
 */
import { LimitExceeded, Conflict, MalformedInput } from '../core/index.js';
import type { Expr, Term } from './ast.js';
import type { BuiltinDef, BuiltinContext } from './builtins/types.js';

/** The builtins visible to one evaluation (a Map, or a per-call overlay on the policy's Map). */
export interface BuiltinTable {
  get(name: string): BuiltinDef | undefined;
  has(name: string): boolean;
}
import { arith, evalError, indexValue, iterate, member, relation, setOp } from './ops.js';
import { callFunction, nodeValue, PENDING } from './rules.js';
import { hasValueRules, type RuleNode } from './tree.js';
import { equal, RObject, RSet, type Value } from './value.js';
import type { Explainer } from './explain.js';
import type { ReadTracker } from './memo.js';
import { evalWith, upsert } from './with.js';

export type Env = Map<string, Value>;
export type Cont = () => boolean;
export type VCont = (v: Value) => boolean;

/** State shared by an evaluation and the nested evaluators that `with` creates. */
export interface Shared {
  steps: number;
  maxSteps: number;
  deadline: number | undefined;
  clock: (() => number) | undefined;
  builtins: BuiltinTable;
  bctx: BuiltinContext;
  explain: Explainer | undefined;
  /** When false, builtin errors make the call undefined (OPA's default) instead of failing. */
  strict: boolean;
  /** Records what the evaluation reads, for a memoized query (see memo.ts). */
  track?: ReadTracker | undefined;
}

/** A function replaced with `with f as g`: a value, or another function's name. */
export type FnOverride = { value: Value } | { fn: string[] };

function isScalar(v: Value): boolean {
  return v === null || typeof v !== 'object';
}

function notCollection(): never {
  throw evalError('`some .. in collection` expects array/set/object.');
}

function isWildcard(name: string): boolean {
  return name.charCodeAt(0) === 95 && name.charCodeAt(1) === 36; // "_$"
}

function lookupPath(root: Value, path: string[]): Value | undefined {
  let v: Value | undefined = root;
  for (const seg of path) {
    if (!(v instanceof RObject)) return undefined;
    v = v.get(seg);
    if (v === undefined) return undefined;
  }
  return v;
}

/** Rule-tree node of each user-function call site (terms belong to one compiled tree). */
const callNodes = new WeakMap<Term, RuleNode>();

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
    if (e.withs.length > 0) return evalWith(this, e, env, k);
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
          // `some` declares new variables: they shadow any outer binding of the same name.
          isScalar(c) ? notCollection() : iterate(c, (kk, vv) => (this.step(), this.bindFresh(e.value, vv, env, () => (e.key ? this.bindFresh(e.key, kk, env, k) : k())))),
        );
      case 'every':
        return this.evalTerm(e.coll, env, (c) => {
          if (isScalar(c)) return false;
          const failed = iterate(c, (kk, vv) => {
            this.step();
            const holds = this.bindFresh(e.value, vv, env, () =>
              e.key ? this.bindFresh(e.key, kk, env, () => this.evalBody(e.body, 0, env, () => true)) : this.evalBody(e.body, 0, env, () => true),
            );
            return !holds;
          });
          return failed ? false : k();
        });
    }
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
      if (a.t === 'array' && b.t === 'array' && a.items.length === b.items.length) return this.unifyItems(a.items, b.items, 0, env, k);
      throw evalError(`unsafe unification of unbound variables at ${a.loc.line}:${a.loc.col}`);
    }
    if (ua) return this.evalTerm(b, env, (v) => this.bindPattern(a, v, env, k));
    if (ub) return this.evalTerm(a, env, (v) => this.bindPattern(b, v, env, k));
    return this.evalTerm(a, env, (va) => this.evalTerm(b, env, (vb) => (equal(va, vb) ? k() : false)));
  }

  // Recursive helpers are methods, not local closures: see bodyContinuation in rules.ts (keepNames).
  private unifyItems(a: Term[], b: Term[], i: number, env: Env, k: Cont): boolean {
    return i === a.length ? k() : this.unify(a[i]!, b[i]!, env, () => this.unifyItems(a, b, i + 1, env, k));
  }

  private bindItems(items: Term[], v: Value[], i: number, env: Env, k: Cont): boolean {
    return i === v.length ? k() : this.bindPattern(items[i]!, v[i]!, env, () => this.bindItems(items, v, i + 1, env, k));
  }

  private bindEntries(entries: Array<[Term, Term]>, v: RObject, i: number, env: Env, k: Cont): boolean {
    if (i === entries.length) return k();
    const [kt, vt] = entries[i]!;
    return this.evalTerm(kt, env, (key) => {
      const got = v.get(key);
      return got === undefined ? false : this.bindPattern(vt, got, env, () => this.bindEntries(entries, v, i + 1, env, k));
    });
  }

  /** Bind a variable that shadows any outer binding (every's key and value). */
  bindFresh(t: Term, v: Value, env: Env, k: Cont): boolean {
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
      return this.bindItems(t.items, v, 0, env, k);
    }
    if (t.t === 'object' && this.isUnbound(t, env)) {
      if (!(v instanceof RObject) || v.size !== t.entries.length) return false;
      return this.bindEntries(t.entries, v, 0, env, k);
    }
    return this.evalTerm(t, env, (x) => (equal(x, v) ? k() : false));
  }

  // ---- terms -------------------------------------------------------------------------------

  evalTerm(t: Term, env: Env, k: VCont): boolean {
    switch (t.t) {
      case 'scalar':
        return k(t.v);
      case 'var': {
        if (t.name === 'input') {
          this.shared.track?.readAll(this.input);
          return this.input === undefined ? false : k(this.input);
        }
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
      if (head.name === 'input') {
        const track = this.shared.track;
        if (this.input === undefined) return track?.readAll(undefined), false;
        track?.readRef(this.input, t, t.path);
        return this.walk(this.input, t.path, 0, env, k);
      }
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
      if (isWildcard(p.name)) return iterate(v, (_kk, vv) => (this.step(), this.walk(vv, path, i + 1, env, k)));
      return iterate(v, (kk, vv) => {
        this.step();
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
    if (typeof seg === 'number') seg = String(seg);
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
    let v = lookupPath(this.data, path);
    if (!this.overrides || this.overrides.size === 0) return v;
    let best = -1;
    for (const [key, val] of this.overrides) {
      const opath = key === '' ? [] : key.split('\u0000');
      if (opath.length <= path.length && opath.every((s, i) => s === path[i])) {
        if (opath.length > best) {
          best = opath.length;
          v = lookupPath(val, path.slice(opath.length));
        }
      } else if (best < 0 && opath.length > path.length && path.every((s, i) => s === opath[i])) {
        v = upsert(v, opath.slice(path.length), val);
      }
    }
    return v;
  }

  // ---- calls -------------------------------------------------------------------------------

  private evalCall(t: Term & { t: 'call' }, env: Env, k: VCont): boolean {
    let fn = t.fn;
    if (this.fnOverrides && this.fnOverrides.size > 0) {
      const ov = this.fnOverrides.get(fn.join('.'));
      if (ov && 'value' in ov) return this.evalSeq(t.args, 0, [], env, () => k(ov.value));
      if (ov) fn = ov.fn;
    }
    if (fn[0] === 'data') {
      let node = fn === t.fn ? callNodes.get(t) : undefined;
      if (node === undefined) {
        node = this.lookupNode(fn.slice(1));
        if (node && fn === t.fn) callNodes.set(t, node);
      }
      const decl = node?.funcs[0] ?? node?.defaults.find((d) => d.kind === 'function');
      if (node && !decl && t.args.length === 0 && hasValueRules(node)) {
        const v = nodeValue(this, node);
        return v === undefined ? false : k(v);
      }
      if (!node || !decl) throw evalError(`unknown function ${fn.join('.')}`);
      return this.applyCall(t, decl.args.length, env, k, (args) => callFunction(this, node, args));
    }
    const name = fn.join('.');
    if (name === 'walk') return this.evalWalk(t, env, k);
    const def = this.shared.builtins.get(name);
    if (!def) throw evalError(`unknown function ${name} at ${t.loc.file}:${t.loc.line}:${t.loc.col}`);
    if (def.volatile && this.shared.track) this.shared.track.volatile = true;
    if (def.lenient) return this.evalLenientCall(t, def, env, k);
    if (t.args.length !== def.arity && !(t.args.length === def.arity + 1 && t.args[def.arity]!.t === 'var')) {
      throw evalError(`\`${name}\` expects ${def.arity} argument${def.arity === 1 ? '' : 's'}, got ${t.args.length} at ${t.loc.file}:${t.loc.line}:${t.loc.col}`);
    }
    if (this.shared.strict) return this.applyCall(t, def.arity, env, k, (args) => def.fn(args, this.shared.bctx));
    return this.applyCall(t, def.arity, env, k, (args) => {
      // The error is discarded, so skip capturing its stack (this path is hot in Kata policies).
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return def.fn(args, this.shared.bctx);
      } catch (err) {
        if (err instanceof MalformedInput) return undefined;
        throw err;
      } finally {
        Error.stackTraceLimit = limit;
      }
    });
  }

  /** `walk(x, [path, value])`: every node of x with its path, parents first. */
  private evalWalk(t: Term & { t: 'call' }, env: Env, k: VCont): boolean {
    if (t.args.length !== 2) throw evalError(`\`walk\` expects 1 argument and an output, got ${t.args.length} at ${t.loc.line}:${t.loc.col}`);
    return this.evalTerm(t.args[0]!, env, (root) => {
      const visit = (path: Value[], v: Value): boolean => {
        if (this.bindPattern(t.args[1]!, [path.slice(), v], env, () => k(true))) return true;
        return iterate(v, (kk, vv) => {
          path.push(kk);
          const r = visit(path, vv);
          path.pop();
          return r;
        });
      };
      return visit([], root);
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
    // print without a sink has no effect: skip evaluating its arguments.
    if (def.arity < 0 && !this.shared.bctx.print) return k(true);
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
